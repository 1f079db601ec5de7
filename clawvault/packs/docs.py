"""OpenAPI documentation of the pack routes (§2.1, §3.1, §3.11)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, merge, ok
from clawvault.packs.errors import PackNotFoundByPath

NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
TIER: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "color", "lower", "upper", "weight"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "color": {"type": "string"},
        "lower": {"type": "number"},
        "upper": {"type": "number"},
        "weight": {"type": "number"},
    },
}
PACK: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "slug",
        "platform",
        "name",
        "description",
        "enable",
        "mint_price",
        "max_per_mint",
        "in_stock",
        "categories",
        "ev",
        "min_ev",
        "max_ev",
        "ev_updated_at",
        "buyback_percent",
        "claw_image_url",
        "rarity_distribution",
    ],
    "properties": {
        "id": {"type": "string"},
        "slug": NULLABLE_STR,
        "platform": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "enable": {"type": "boolean"},
        "mint_price": {"type": "number"},
        "max_per_mint": {"type": "integer"},
        "in_stock": {"type": "boolean"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "ev": {"type": "number"},
        "min_ev": {"type": "number"},
        "max_ev": {"type": "number"},
        "ev_updated_at": {"type": "string"},
        "buyback_percent": {"type": "number"},
        "claw_image_url": {"type": "string"},
        "rarity_distribution": {"type": "array", "items": TIER},
    },
}
CHASE_CARD: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "image", "back_image", "fmv"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "image": {"type": "string"},
        "back_image": NULLABLE_STR,
        "fmv": {"type": "number"},
    },
}
AVAILABLE = ok({"type": "array", "items": PACK}, description="Every pack on the platform")
CHASE = merge(
    ok({"type": "array", "items": CHASE_CARD}, description="The pack's most valuable cards"),
    errors(404, PackNotFoundByPath.message),
)
