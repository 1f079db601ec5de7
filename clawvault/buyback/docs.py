"""OpenAPI documentation of the sellback route (§3.7): body and answer from buyback.schemas;
the exact error strings here."""

from __future__ import annotations

from clawvault.buyback.errors import (
    ActiveBuybackSession,
    BuybackInProgress,
    ItemExpired,
    ItemNotFound,
    SettlementFailed,
)
from clawvault.buyback.schemas import BuybackAnswer
from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok
from clawvault.core.schemas import response_schema

BUYBACK = merge(
    ok(
        response_schema(BuybackAnswer), description="Sold back; `amount` is credited to the partner"
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
