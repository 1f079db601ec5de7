"""OpenAPI documentation of the pull routes (§3.2–3.4)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok
from clawvault.inventory.docs import ITEM, METADATA, NULLABLE_STR
from clawvault.pulls.errors import (
    AmountNotPositive,
    OutOfStock,
    TransactionError,
    TransactionFailed,
    UserIdRequired,
)

BUY_INIT = merge(
    ok(
        {
            "type": "object",
            "required": ["session_id", "nfts"],
            "properties": {
                "session_id": {"type": "string"},
                "nfts": {"type": "array", "items": ITEM},
            },
        },
        description="The cards pulled, all now in the user's inventory",
    ),
    errors(
        400,
        UserIdRequired.message,
        "VM not found",
        AmountNotPositive.message,
        "Amount must be less than or equal to N",
        OutOfStock.message,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(500, TransactionError.message),
)
STATUS_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["session_id", "user_id", "public_id", "nfts", "tx_hash"],
    "properties": {
        "session_id": {"type": "string"},
        "user_id": {"type": "string"},
        "public_id": {"type": "string"},
        "nfts": {"type": "array", "items": ITEM},
        "tx_hash": {"type": "string"},
    },
}
BUY_STATUS = merge(
    ok(
        {
            "oneOf": [
                {"type": "object", "required": ["result"], "properties": {"result": STATUS_RESULT}},
                {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"const": "pending"}},
                },
            ]
        }
    ),
    errors(400, TransactionFailed.message),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
)
RECENT_PULLS = ok(
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": [
                "id",
                "claw_id",
                "claw_slug",
                "value",
                "buyback_price",
                "created_at",
                "metadata",
            ],
            "properties": {
                "id": {"type": "string"},
                "claw_id": {"type": "string"},
                "claw_slug": NULLABLE_STR,
                "value": {"type": "number"},
                "buyback_price": {"type": "number"},
                "created_at": {"type": "string"},
                "metadata": METADATA,
            },
        },
    },
    description="The newest pulls of every partner, without partner or user ids",
)
