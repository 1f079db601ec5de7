"""Pure rules of a pack: tiers by FMV band, the weighted tier draw, expected value."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, overload

from clawvault.core.money import apply_basis_points

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, SQLColumnExpression
from clawvault.fairness.verify import pick_tier


@dataclass(frozen=True)
class Tier:
    tier_id: int
    name: str
    color: str
    lower_cents: int
    upper_cents: int
    weight: float

    def holds(self, fmv_cents: int) -> bool:
        return self.lower_cents <= fmv_cents < self.upper_cents


@dataclass(frozen=True)
class TierStock:
    count: int
    fmv_sum_cents: int


def tier_for_fmv(tiers: Iterable[Tier], fmv_cents: int) -> int | None:
    for tier in tiers:
        if tier.holds(fmv_cents):
            return tier.tier_id
    return None


def drawable_tiers(tiers: Iterable[Tier]) -> list[Tier]:
    return sorted((t for t in tiers if t.weight > 0), key=lambda t: t.tier_id)


class TierTable:
    """The odds of a pack; the draw is clawvault-fair-v1's `pick_tier`, so a receipt can be
    checked by anyone with the verifier."""

    def __init__(self, tiers: Iterable[Tier]) -> None:
        self.tiers = drawable_tiers(tiers)
        if not self.tiers:
            raise ValueError("a pack needs at least one tier with a positive weight")
        self.total = sum(t.weight for t in self.tiers)
        self._odds = [(t.tier_id, t.weight) for t in self.tiers]
        self._by_id = {t.tier_id: t for t in self.tiers}

    def draw(self, u: float) -> Tier:
        """The tier for a uniform number u in [0, 1)."""
        return self._by_id[pick_tier(u, self._odds)]

    def probability(self, tier_id: int) -> float:
        tier = self._by_id.get(tier_id)
        return 0.0 if tier is None else tier.weight / self.total


def odds_canonical(tiers: Iterable[Tier]) -> str:
    """The odds table in force, as the exact text a receipt's odds_hash is taken over."""
    return _odds_canonical(tuple(tiers))


@lru_cache(maxsize=1024)
def _odds_canonical(tiers: tuple[Tier, ...]) -> str:
    # Every pull records it, and a pack's tiers seldom change: made once per set of tiers
    # (the JSON took ~2% of a SQLite pull's samples, inside the write lock).
    table = [
        {
            "id": t.tier_id,
            "weight": t.weight,
            "lower_cents": t.lower_cents,
            "upper_cents": t.upper_cents,
        }
        for t in sorted(tiers, key=lambda t: t.tier_id)
    ]
    return json.dumps(table, separators=(",", ":"), sort_keys=True)


def expected_value_cents(tiers: Sequence[Tier], stock: dict[int, TierStock]) -> int:
    """Sum over tiers of P(tier) × mean FMV of its available cards. An empty tier counts at
    its band's lower bound, so an out-of-stock pack never advertises an inflated EV."""
    drawable = drawable_tiers(tiers)
    if not drawable:
        return 0
    total_weight = sum(t.weight for t in drawable)
    ev = 0.0
    for tier in drawable:
        tier_stock = stock.get(tier.tier_id)
        if tier_stock and tier_stock.count:
            mean = tier_stock.fmv_sum_cents / tier_stock.count
        else:
            mean = float(tier.lower_cents)
        ev += tier.weight / total_weight * mean
    return round(ev)


def ev_band(
    history: Sequence[tuple[datetime, int]], current_ev: int, now: datetime, window: timedelta
) -> tuple[int, int]:
    """Lowest and highest EV in force during the trailing window. history is (time, ev)
    ordered by time and may hold one entry older than the window: the value in force at its
    start."""
    start = now - window
    values = [ev for at, ev in history if at >= start]
    earlier = [ev for at, ev in history if at < start]
    if earlier:
        values.append(earlier[-1])
    values.append(current_ev)
    return min(values), max(values)


def ev_band_moves_at(
    history: Sequence[tuple[datetime, int]], now: datetime, window: timedelta
) -> datetime | None:
    """When the band of `ev_band` over this history can next move with no new EV: when the
    earliest entry inside the window leaves it (the value in force before it stops counting).
    None when no entry is inside the window (the band holds only the EV in force)."""
    start = now - window
    inside = [at for at, _ev in history if at >= start]
    return min(inside) + window if inside else None


@overload
def buyback_cents(fmv_cents: int, buyback_bps: int) -> int: ...


@overload
def buyback_cents(
    fmv_cents: SQLColumnExpression[Any], buyback_bps: SQLColumnExpression[Any] | int
) -> ColumnElement[Any]: ...


def buyback_cents(fmv_cents: Any, buyback_bps: Any) -> Any:
    """The buyback price of a card: its FMV × the pack's buyback percentage, half up, in cents
    (of integers, or of the SQL expressions of a statement that reads the card itself)."""
    return apply_basis_points(fmv_cents, buyback_bps)


def buyback_expiry(purchased_at: datetime, window_seconds: int | None) -> datetime | None:
    return None if window_seconds is None else purchased_at + timedelta(seconds=window_seconds)
