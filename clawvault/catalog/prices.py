"""A price record (import file row, admin push, feed entry) checked into a PriceQuote."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from clawvault.catalog import fields as f
from clawvault.pricing.domain import PriceQuote

PRICE_FIELDS = {"card_id", "fmv", "source", "as_of"}
# A clock a little ahead of ours is tolerated; a price from further in the future is refused.
FUTURE_TOLERANCE = timedelta(minutes=5)


def parse_price(
    record: dict[str, Any], default_source: str, now: datetime
) -> tuple[PriceQuote | None, list[str]]:
    reasons: list[str] = []
    card_id = f.checked(reasons, lambda: f.text(record, "card_id", max_length=128))
    fmv = f.checked(reasons, lambda: f.money_cents(record, "fmv", minimum_cents=1))
    source = f.checked(reasons, lambda: f.text(record, "source", max_length=64, required=False))
    as_of = f.checked(reasons, lambda: f.timestamp(record, "as_of"))
    if as_of is not None and as_of > now + FUTURE_TOLERANCE:
        reasons.append("as_of is in the future")
    if reasons:
        return None, reasons
    return PriceQuote(card_id, fmv, source or default_source, as_of or now), []
