"""OpenAPI documentation of the webhook routes."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import IDEMPOTENT_POST, errors, json_body, merge, ok
from clawvault.webhooks.domain import EventType
from clawvault.webhooks.errors import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidEventTypes,
    InvalidWebhookUrl,
)

NULLABLE_STR = {"type": ["string", "null"]}
EVENTS = {"type": "array", "items": {"type": "string", "enum": [t.value for t in EventType]}}
ENDPOINT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "url", "events", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "url": {"type": "string"},
        "events": EVENTS,
        "created_at": {"type": "string"},
        "secret": {"type": "string", "description": "shown only when the endpoint is created"},
    },
}
DELIVERY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "event_id", "event_type", "endpoint_id", "status", "attempts"],
    "properties": {
        "id": {"type": "string"},
        "event_id": {"type": "string"},
        "event_type": {"type": "string"},
        "endpoint_id": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
        "attempts": {"type": "integer"},
        "next_attempt_at": NULLABLE_STR,
        "last_attempt_at": NULLABLE_STR,
        "last_status_code": {"type": ["integer", "null"]},
        "last_error": NULLABLE_STR,
        "delivered_at": NULLABLE_STR,
        "created_at": {"type": "string"},
    },
}
PAGING = errors(400, "Invalid cursor", "limit must be an integer from 1 to 1000")

CREATE_ENDPOINT = merge(
    ok(ENDPOINT, 201, "The endpoint, with its signing secret (shown once)"),
    errors(400, InvalidWebhookUrl.message, InvalidEventTypes.message),
    IDEMPOTENT_POST,
)
CREATE_ENDPOINT_BODY = json_body(
    {
        "type": "object",
        "required": ["url"],
        "properties": {"url": {"type": "string", "format": "uri"}, "events": EVENTS},
    }
)
LIST_ENDPOINTS = ok(
    {
        "type": "object",
        "required": ["endpoints"],
        "properties": {"endpoints": {"type": "array", "items": ENDPOINT}},
    }
)
DELETE_ENDPOINT = merge(
    ok(
        {
            "type": "object",
            "required": ["id", "deleted"],
            "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
        }
    ),
    errors(404, EndpointNotFound.message),
)
LIST_DELIVERIES = merge(
    ok(
        {
            "type": "object",
            "required": ["deliveries", "next_cursor"],
            "properties": {
                "deliveries": {"type": "array", "items": DELIVERY},
                "next_cursor": NULLABLE_STR,
            },
        }
    ),
    PAGING,
)
REPLAY_DELIVERY = merge(
    ok(DELIVERY, description="The new delivery, due now"),
    errors(404, DeliveryNotFound.message, EndpointNotFound.message),
    IDEMPOTENT_POST,
)
