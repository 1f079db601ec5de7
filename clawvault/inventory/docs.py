"""OpenAPI documentation of the inventory and card routes; the item and card shapes (§2.2)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, merge, ok
from clawvault.inventory.errors import CardNotFound, UserNotFound

NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
ATTRIBUTES: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["trait_type", "value"],
        "properties": {"trait_type": {"type": "string"}, "value": {}},
    },
}
METADATA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "image", "back_image", "attributes"],
    "properties": {
        "name": {"type": "string"},
        "image": {"type": "string"},
        "back_image": NULLABLE_STR,
        "attributes": ATTRIBUTES,
    },
}
ITEM: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "claw_id",
        "claw_slug",
        "type",
        "buyback_price",
        "mint_address",
        "collection_address",
        "token_standard",
        "purchased_at",
        "buyback_expires_at",
        "content",
    ],
    "properties": {
        "id": {"type": "string"},
        "claw_id": {"type": "string"},
        "claw_slug": NULLABLE_STR,
        "type": {"type": "string", "enum": ["enft", "ebay", "fanatics", "alt", "external"]},
        "buyback_price": {"type": "number"},
        "mint_address": NULLABLE_STR,
        "collection_address": NULLABLE_STR,
        "token_standard": NULLABLE_STR,
        "purchased_at": {"type": "string"},
        "buyback_expires_at": NULLABLE_STR,
        "content": {
            "type": "object",
            "required": ["metadata", "links"],
            "properties": {
                "metadata": METADATA,
                "links": {
                    "type": "object",
                    "required": ["back_image"],
                    "properties": {"image": {"type": "string"}, "back_image": NULLABLE_STR},
                },
            },
        },
    },
}
CARD: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "image", "back_image", "fmv", "metadata"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "image": {"type": "string"},
        "back_image": NULLABLE_STR,
        "fmv": {"type": "number"},
        "metadata": METADATA,
    },
}
INVENTORY = merge(
    ok(
        {
            "type": "object",
            "required": ["user_id", "items"],
            "properties": {
                "user_id": {"type": "string"},
                "items": {"type": "array", "items": ITEM},
                "next_cursor": {
                    **NULLABLE_STR,
                    "description": "only with `limit` or `cursor`: the next page, null at the end",
                },
            },
        },
        description="The user's items, newest first (a page of them with `limit`)",
    ),
    errors(404, UserNotFound.message),
    errors(400, "Invalid cursor", "limit must be an integer from 1 to 1000"),
)
CARD_LOOKUP = merge(ok(CARD), errors(404, CardNotFound.message))
