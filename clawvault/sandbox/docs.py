"""OpenAPI documentation of the sandbox controls (/_/control): their answers and bodies. Their
failures are the operator routes' error bodies (mounted with OPERATOR_ERRORS)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import json_body, ok
from clawvault.db.models import OrderStatus
from clawvault.inventory.docs import CARD
from clawvault.sandbox.controls import SECONDS_PER
from clawvault.sandbox.domain import FORCEABLE_ERRORS
from clawvault.shipping.docs import ORDER_SCHEMA

CLOCK: dict[str, Any] = {
    "type": "object",
    "required": ["now", "offset_seconds"],
    "properties": {
        "now": {"type": "string", "description": "this key's sandbox time"},
        "offset_seconds": {"type": "number", "description": "how far ahead of real time"},
    },
}
RESET = ok(
    {"type": "object", "required": ["reset"], "properties": {"reset": {"const": True}}},
    description="Every sandbox user, pull, item, quote, order, clock, FMV and forced error of "
    "this key is forgotten",
)
READ_CLOCK = ok(CLOCK)
ADVANCE_CLOCK = ok(CLOCK, description="The clock after the move")
ADVANCE_CLOCK_BODY = json_body(
    {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {unit: {"type": "number", "minimum": 0} for unit in SECONDS_PER},
    }
)
SET_FMV = ok(CARD, description="The card as this sandbox key now sees it")
SET_FMV_BODY = json_body(
    {
        "type": "object",
        "required": ["fmv"],
        "properties": {"fmv": {"type": "number", "minimum": 0, "description": "USD"}},
    }
)
ADVANCE_ORDER = ok(ORDER_SCHEMA, description="The order after the move")
ADVANCE_ORDER_BODY = json_body(
    {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {
                "type": "string",
                "enum": [s.value for s in OrderStatus if s is not OrderStatus.QUEUED],
            },
            "note": {"type": "string", "description": "error_message of a cancelled/failed order"},
        },
    }
)
FAIL_NEXT = ok(
    {
        "type": "object",
        "required": ["item_id", "next_sellback"],
        "properties": {
            "item_id": {"type": "string"},
            "next_sellback": {
                "type": "object",
                "required": ["status", "error"],
                "properties": {"status": {"type": "integer"}, "error": {"type": "string"}},
            },
        },
    },
    description="What the item's next sellback will answer (once)",
)
FAIL_NEXT_BODY = json_body(
    {
        "type": "object",
        "required": ["item_id", "error"],
        "properties": {
            "item_id": {"type": "string"},
            "error": {"type": "string", "enum": list(FORCEABLE_ERRORS)},
        },
    }
)
