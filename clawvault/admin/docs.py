"""OpenAPI documentation of the admin API (/admin/v1): answers and request bodies. Failures are
the operator routes' error bodies (mounted with OPERATOR_ERRORS); an import or price batch with
bad rows answers 400 with every bad row and applies nothing."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, json_body, merge, ok
from clawvault.shipping.docs import ORDER_SCHEMA
from clawvault.webhooks.docs import ENDPOINT, EVENTS

STR: dict[str, Any] = {"type": "string"}
NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
NUMBER: dict[str, Any] = {"type": "number"}
INT: dict[str, Any] = {"type": "integer"}


def obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **optional},
    }


def array_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


ROWS_REJECTED = errors(
    400,
    "1 bad row: nothing was applied",
    schema=obj(
        {"error": STR},
        rows=array_of(obj({"row": INT, "reason": STR})),
    ),
)
TIER = obj(
    {"id": INT, "name": STR, "color": STR, "lower": NUMBER, "upper": NUMBER, "weight": NUMBER}
)
PACK = obj(
    {
        "id": STR,
        "slug": STR,
        "name": STR,
        "enable": {"type": "boolean"},
        "mint_price": NUMBER,
        "max_per_mint": INT,
        "buyback_percent": NUMBER,
        "tiers": array_of(TIER),
        "ev": NUMBER,
        "min_ev": NUMBER,
        "max_ev": NUMBER,
    },
    platform=STR,
    description=NULLABLE_STR,
    categories=array_of(STR),
    buyback_window_days={"type": ["number", "null"]},
    claw_image_url=NULLABLE_STR,
    ev_updated_at=NULLABLE_STR,
)
IMPORT_REPORT = obj(
    {
        "kind": STR,
        "rows": INT,
        "created": INT,
        "updated": INT,
        "unchanged": INT,
        "warnings": array_of(STR),
    }
)
PRICE_REPORT = obj(
    {
        "source": STR,
        "received": INT,
        "applied": INT,
        "unknown_cards": INT,
        "rejected": array_of(STR),
        "packs_refreshed": INT,
        "warnings": array_of(STR),
    }
)
ROWS_BODY = json_body(
    {
        "description": "one object, a list of objects, or {kind: [objects]} (README: File formats)",
        "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
    }
)
PRICE: dict[str, Any] = {"fmv": NUMBER, "source": STR, "as_of": STR}

LIST_PACKS = ok(array_of(PACK))
CREATE_PACKS = merge(
    ok(IMPORT_REPORT, description="What the batch created and updated"), ROWS_REJECTED
)
GET_PACK = ok(PACK)
PATCH_PACK_BODY = json_body(
    {
        "type": "object",
        "description": "any pack fields of the pack file format (README: File formats)",
    }
)
PUT_TIERS_BODY = json_body(
    {
        "description": 'the tiers, as a list or {"tiers": [...]}',
        "oneOf": [
            {"type": "array", "items": {"type": "object"}},
            {"type": "object", "required": ["tiers"]},
        ],
    }
)
ADD_CARDS = CREATE_PACKS
MOVE_CARD = ok(obj({"id": STR, "pack_id": STR, "from_pack_id": STR}))
MOVE_CARD_BODY = json_body(obj({"pack_id": {"type": "string", "description": "id or slug"}}))
RETIRE_CARD = ok(obj({"id": STR, "status": {"const": "retired"}}))
PUSH_PRICES = merge(ok(PRICE_REPORT), ROWS_REJECTED)
STALE_PRICES = ok(
    obj(
        {
            "max_age_hours": {"type": ["number", "null"]},
            "cards": array_of(obj({"card_id": STR, "pack_id": STR, "status": STR, **PRICE})),
        }
    )
)
PRICE_HISTORY = ok(
    obj(
        {
            "card_id": STR,
            **PRICE,
            "stale": {"type": "boolean"},
            "history": array_of(obj({**PRICE, "recorded_at": STR})),
        }
    )
)
PARTNER = obj({"id": INT, "name": STR})
LIST_PARTNERS = ok(array_of(obj({"id": INT, "name": STR, "created_at": STR, "active_keys": INT})))
CREATE_PARTNER = ok(PARTNER, 201)
CREATE_PARTNER_BODY = json_body(obj({"name": {"type": "string", "maxLength": 200}}))
ENVIRONMENT: dict[str, Any] = {"type": "string", "enum": ["production", "sandbox"]}
LIST_KEYS = ok(
    array_of(
        obj(
            {
                "id": INT,
                "prefix": STR,
                "environment": ENVIRONMENT,
                "created_at": STR,
                "revoked_at": NULLABLE_STR,
            }
        )
    )
)
CREATE_KEY = ok(
    obj({"partner": STR, "environment": ENVIRONMENT, "key": STR}),
    201,
    "The new key in plain text: the only time it is shown",
)
SANDBOX_FLAG: dict[str, Any] = {"type": "boolean", "default": False}
CREATE_KEY_BODY = json_body({"type": "object", "properties": {"sandbox": SANDBOX_FLAG}})
REVOKE_KEY = ok(obj({"id": INT, "revoked_at": STR}))
ADMIN_ENDPOINT = {
    **ENDPOINT,
    "properties": {**ENDPOINT["properties"], "environment": ENVIRONMENT},
}
LIST_ENDPOINTS = ok(obj({"endpoints": array_of(ADMIN_ENDPOINT)}))
CREATE_ENDPOINT = ok(ADMIN_ENDPOINT, 201, "The endpoint, with its signing secret (shown once)")
CREATE_ENDPOINT_BODY = json_body(
    obj(
        {"url": {"type": "string", "format": "uri"}},
        events=EVENTS,
        sandbox=SANDBOX_FLAG,
    )
)
DELETE_ENDPOINT = ok(obj({"id": STR, "deleted": {"const": True}}))
ORDER_TARGETS = ["processing", "label_created", "shipped", "delivered", "cancelled", "failed"]
ADVANCE_ORDER = ok(ORDER_SCHEMA, description="The order as GET /api/v1/ship/order shows it")
ADVANCE_ORDER_BODY = json_body(
    obj(
        {"to": {"type": "string", "enum": ORDER_TARGETS}},
        note={"type": ["string", "null"], "maxLength": 500},
    )
)
ATTACH_TRACKING = ADVANCE_ORDER
ATTACH_TRACKING_BODY = json_body(
    obj(
        {
            "carrier": {"type": "string", "minLength": 1, "maxLength": 32},
            "tracking_number": {"type": "string", "pattern": "^[A-Za-z0-9 -]{4,64}$"},
        }
    )
)
