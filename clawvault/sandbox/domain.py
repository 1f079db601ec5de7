"""The sandbox policy: every way the sandbox differs from production (partner-api.md §4), as
pure rules. Everything else (shapes, error strings, the tier draw, address checks, rates, the
order state machine) is production's own code."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clawvault.buyback.errors import ActiveBuybackSession, BuybackInProgress, SettlementFailed
from clawvault.core.errors import ApiError
from clawvault.packs.domain import Tier, tier_for_fmv
from clawvault.shipping.domain import COUNTRY_ZONES, zone_for

BUYBACK_WINDOW = timedelta(days=7)
QUOTE_TTL = timedelta(minutes=15)
# recent-pulls shows a sandbox pull's value as its buyback price / 0.85, whatever the pack's
# buyback percent (documented).
RECENT_VALUE_DIVISOR_BPS = 8_500
# A country the vault does not serve is quoted at the farthest zone's rates.
REST_OF_WORLD_ZONE = "asia_pacific"

# The production-only sellback errors a sandbox control can make the next sellback answer.
FORCEABLE_ERRORS: dict[str, type[ApiError]] = {
    "transaction_failed": SettlementFailed,
    "active_buyback_session": ActiveBuybackSession,
    "already_processing": BuybackInProgress,
}


def buyback_expiry(purchased_at: datetime) -> datetime:
    return purchased_at + BUYBACK_WINDOW


def new_tx_hash() -> str:
    return "sandbox_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def recent_pull_value_cents(buyback_price_cents: int) -> int:
    """buyback_price / 0.85, rounded half up, in integers."""
    numerator = buyback_price_cents * 10_000 * 2 + RECENT_VALUE_DIVISOR_BPS
    return numerator // (2 * RECENT_VALUE_DIVISOR_BPS)


def country_supported(country: Any) -> bool:
    return isinstance(country, str) and len(country) == 2


def shipping_zone(country: str, state: str | None) -> str:
    country = country.strip().upper()
    if country in COUNTRY_ZONES:
        return zone_for(country, state)
    return REST_OF_WORLD_ZONE


def shown_mint_address(card_type: str, mint_address: str | None) -> str | None:
    return None if card_type == "ebay" else mint_address


def sandbox_now(real_now: datetime, offset_seconds: float) -> datetime:
    return real_now + timedelta(seconds=offset_seconds)


@dataclass(frozen=True)
class Candidate:
    """A card a sandbox draw may take: its FMV for this key, its tier, its pool key."""

    card_id: str
    fmv_cents: int
    tier_id: int
    pool_key: int


def override_candidates(
    tiers: Sequence[Tier],
    overrides: Mapping[str, int],
    available_in_pack: Sequence[tuple[str, int]],
    excluded: set[str],
) -> list[Candidate]:
    """Cards of the pack's pool (id, pool key) whose FMV this sandbox overrides: they count in
    the tier their sandbox FMV falls in (or in none)."""
    found = []
    for card_id, key in available_in_pack:
        if card_id in excluded:
            continue
        fmv = overrides[card_id]
        tier_id = tier_for_fmv(tiers, fmv)
        if tier_id is not None:
            found.append(Candidate(card_id, fmv, tier_id, key))
    return found


def pick_by_key(key: int, candidates: Sequence[Candidate]) -> Candidate | None:
    """clawvault-fair-v1's card rule: the candidate with the smallest pool key >= key, else
    (wrapping) the one with the smallest pool key."""
    ordered = sorted(candidates, key=lambda c: (c.pool_key, c.card_id))
    for candidate in ordered:
        if candidate.pool_key >= key:
            return candidate
    return ordered[0] if ordered else None
