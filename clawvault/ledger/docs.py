"""OpenAPI documentation of the statement route."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, merge
from clawvault.ledger.errors import InvalidDate

NULLABLE_STR = {"type": ["string", "null"]}
ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["id", "kind", "amount", "reference", "user_id", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["pull", "buyback", "shipping", "shipping_refund"]},
        "amount": {"type": "number"},
        "reference": {"type": "string"},
        "user_id": NULLABLE_STR,
        "created_at": {"type": "string"},
    },
}
DAY: dict[str, Any] = {
    "type": "object",
    "required": ["date", "pulls", "sellbacks", "shipping", "net", "entries"],
    "properties": {
        "date": {"type": "string"},
        "pulls": {"type": "number"},
        "sellbacks": {"type": "number"},
        "shipping": {"type": "number"},
        "net": {"type": "number"},
        "entries": {"type": "integer"},
    },
}
STATEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "currency",
        "from",
        "to",
        "balance",
        "opening_balance",
        "closing_balance",
        "daily",
        "entries",
        "next_cursor",
    ],
    "properties": {
        "currency": {"type": "string"},
        "from": NULLABLE_STR,
        "to": NULLABLE_STR,
        "balance": {"type": "number"},
        "opening_balance": {"type": "number"},
        "closing_balance": {"type": "number"},
        "daily": {"type": "array", "items": DAY},
        "entries": {"type": "array", "items": ENTRY},
        "next_cursor": NULLABLE_STR,
    },
}
STATEMENT = merge(
    {
        200: {
            "description": "The statement (JSON), or every entry of the range as CSV with "
            "`Accept: text/csv`",
            "content": {
                "application/json": {"schema": STATEMENT_SCHEMA},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
    errors(400, InvalidDate.message, "Invalid cursor", "limit must be an integer from 1 to 1000"),
)
