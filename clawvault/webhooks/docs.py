"""OpenAPI documentation of the webhook routes."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import IDEMPOTENT_POST, errors, merge, ok
from clawvault.core.schemas import response_schema
from clawvault.webhooks.errors import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidEventTypes,
    InvalidWebhookUrl,
)
from clawvault.webhooks.schemas import (
    EVENTS_SCHEMA,
    Deleted,
    Deliveries,
    Delivery,
    Endpoint,
    Endpoints,
)

ENDPOINT: dict[str, Any] = response_schema(Endpoint)
EVENTS: dict[str, Any] = EVENTS_SCHEMA
PAGING = errors(400, "Invalid cursor", "limit must be an integer from 1 to 1000")

CREATE_ENDPOINT = merge(
    ok(ENDPOINT, 201, "The endpoint, with its signing secret (shown once)"),
    errors(400, InvalidWebhookUrl.message, InvalidEventTypes.message),
    IDEMPOTENT_POST,
)
LIST_ENDPOINTS = ok(response_schema(Endpoints))
DELETE_ENDPOINT = merge(ok(response_schema(Deleted)), errors(404, EndpointNotFound.message))
LIST_DELIVERIES = merge(
    ok(response_schema(Deliveries)),
    PAGING,
)
REPLAY_DELIVERY = merge(
    ok(response_schema(Delivery), description="The new delivery, due now"),
    errors(404, DeliveryNotFound.message, EndpointNotFound.message),
    IDEMPOTENT_POST,
)
