"""OpenAPI documentation of the sellback route (§3.7)."""

from __future__ import annotations

from clawvault.buyback.errors import (
    ActiveBuybackSession,
    BuybackInProgress,
    ItemExpired,
    ItemNotFound,
    SettlementFailed,
)
from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok

BUYBACK = merge(
    ok(
        {
            "type": "object",
            "required": ["success", "amount"],
            "properties": {"success": {"const": True}, "amount": {"type": "number"}},
        },
        description="Sold back; `amount` is credited to the partner",
    ),
    errors(
        400,
        ItemNotFound.message,
        ItemExpired.message,
        SettlementFailed.message,
        ActiveBuybackSession.message,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(429, BuybackInProgress.message, "Rate limit exceeded"),
)
