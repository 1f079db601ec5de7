"""OpenAPI documentation of the shipping routes (§3.8–3.10)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import (
    IDEMPOTENT_POST,
    MALFORMED_BODY,
    errors,
    merge,
    ok,
)
from clawvault.shipping.errors import (
    CountryNotSupported,
    ItemAlreadyShipped,
    ItemIdsRequired,
    ItemNotFound,
    MixedUsers,
    NoShippableItems,
    OrderNotFound,
    QuoteExpired,
    QuoteIdRequired,
    RatesUnavailable,
    ShippingRequestFailed,
)

NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
DESTINATION: dict[str, Any] = {
    "type": "object",
    "required": ["name", "line1", "city", "postal_code", "country"],
    "properties": {
        "name": {"type": "string"},
        "line1": {"type": "string"},
        "line2": {"type": "string"},
        "city": {"type": "string"},
        "state": {"type": "string"},
        "postal_code": {"type": "string"},
        "country": {"type": "string"},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
}
INVALID_ADDRESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "details": {"type": "string"},
        "suggested": {"type": "object"},
    },
}
QUOTE = merge(
    ok(
        {
            "type": "object",
            "required": ["session_id", "expires_at", "quotes"],
            "properties": {
                "session_id": {"type": "string"},
                "expires_at": {"type": "string"},
                "quotes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "id",
                            "carrier",
                            "service",
                            "amount",
                            "estimated_days_min",
                            "estimated_days_max",
                            "insured",
                        ],
                        "properties": {
                            "id": {"type": "string"},
                            "carrier": {"type": "string"},
                            "service": {"type": "string"},
                            "amount": {"type": "number"},
                            "estimated_days_min": {"type": "integer"},
                            "estimated_days_max": {"type": "integer"},
                            "insured": {"type": "boolean"},
                        },
                    },
                },
            },
        }
    ),
    errors(
        400,
        ItemIdsRequired.message,
        "Invalid destination address",
        ItemNotFound.message,
        NoShippableItems.message,
        MixedUsers.message,
        schema=INVALID_ADDRESS_SCHEMA,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(422, CountryNotSupported.message),
    errors(500, RatesUnavailable.message, "An unexpected error occurred"),
)
REQUEST = merge(
    ok(
        {
            "type": "object",
            "required": ["order_id", "status"],
            "properties": {"order_id": {"type": "string"}, "status": {"const": "success"}},
        }
    ),
    errors(
        400,
        QuoteIdRequired.message,
        QuoteExpired.message,
        ItemAlreadyShipped.message,
        ItemNotFound.message,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(500, ShippingRequestFailed.message, "An unexpected error occurred"),
)
ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "order_id",
        "status",
        "carrier",
        "service",
        "tracking_number",
        "tracking_url",
        "amount",
        "currency",
        "destination",
        "items",
        "created_at",
        "shipped_at",
        "delivered_at",
        "error_message",
    ],
    "properties": {
        "order_id": {"type": "string"},
        "status": {
            "type": "string",
            "enum": [
                "queued",
                "processing",
                "label_created",
                "shipped",
                "delivered",
                "cancelled",
                "failed",
            ],
        },
        "carrier": {"type": "string"},
        "service": {"type": "string"},
        "tracking_number": NULLABLE_STR,
        "tracking_url": NULLABLE_STR,
        "amount": {"type": "number"},
        "currency": {"const": "USD"},
        "destination": {"type": "object"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["item_id", "name", "image", "back_image"],
                "properties": {
                    "item_id": {"type": "string"},
                    "name": {"type": "string"},
                    "image": {"type": "string"},
                    "back_image": NULLABLE_STR,
                },
            },
        },
        "created_at": {"type": "string"},
        "shipped_at": NULLABLE_STR,
        "delivered_at": NULLABLE_STR,
        "error_message": NULLABLE_STR,
    },
}
ORDER = merge(
    ok(ORDER_SCHEMA),
    errors(404, OrderNotFound.message),
)
