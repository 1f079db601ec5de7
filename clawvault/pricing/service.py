"""The pricing oracle: applies quotes from any source to the cards' current FMV (with
history), so tiers, pack EV, in_stock and live sellback amounts follow at once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from clawvault.catalog.common import BATCH, NoProgress, Progress, solvency_problems
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.packs.service import forget_listings, refresh_evs
from clawvault.pricing.adapters.base import PriceSource
from clawvault.pricing.domain import PriceQuote, is_stale, max_price_age
from clawvault.pricing.repository import PriceRepository

log = logging.getLogger("clawvault.pricing")


@dataclass
class PriceReport:
    source: str
    received: int = 0
    applied: int = 0  # cards whose current price moved
    unknown_cards: int = 0
    rejected: list[str] = field(default_factory=list)
    packs_refreshed: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"prices from {self.source}: {self.received} received, {self.applied} applied,"
            f" {self.unknown_cards} for unknown cards, {len(self.rejected)} rejected"
        )


async def apply_quotes(
    runtime: Runtime,
    unit: Unit,
    quotes: Sequence[PriceQuote],
    source: str,
    progress: Progress | None = None,
) -> PriceReport:
    """Stores every quote in the price history, makes the newest one per card its current FMV
    and refreshes the EV of every pack it touched, in one transaction."""
    progress = progress or NoProgress()
    progress.start("applying prices", len(quotes))
    report = PriceReport(source, received=len(quotes))
    now = runtime.clock()

    async def write(conn: Conn) -> tuple[int, int, int, dict[str, str]]:
        repo = PriceRepository(conn)
        applied, unknown = 0, 0
        packs: set[str] = set()
        for start in range(0, len(quotes), BATCH):
            batch = quotes[start : start + BATCH]
            cards = await repo.cards(q.card_id for q in batch)
            known = [q for q in batch if q.card_id in cards]
            unknown += len(batch) - len(known)
            moved = {q.card_id for q in known if q.as_of > cards[q.card_id].fmv_as_of}
            applied += len(moved)
            packs.update(cards[card_id].pack_id for card_id in moved)
            await repo.record_history(known, now)
            # card order: concurrent writers of many cards lock them in one order
            await repo.set_current(sorted(known, key=lambda q: (q.card_id, q.as_of)), now)
            progress.advance(len(batch))
        refreshed = await refresh_evs(conn, packs, runtime.clock())
        return applied, unknown, refreshed, await solvency_problems(conn, packs)

    # retried from the start if PostgreSQL picks it as a deadlock victim (a pull holds a card)
    report.applied, report.unknown_cards, report.packs_refreshed, problems = await unit.write(write)
    forget_listings(runtime)
    for problem in problems.values():
        report.warnings.append(problem.replace("cannot be enabled:", "is enabled but"))
        log.warning("solvency: %s", problem)
    return report


async def refresh_from(
    runtime: Runtime,
    unit: Unit,
    source: PriceSource,
    turn: int = 0,
    progress: Progress | None = None,
) -> PriceReport:
    fetched = await source.fetch(runtime, unit, turn)
    report = await apply_quotes(runtime, unit, fetched.quotes, source.name, progress)
    report.rejected = [str(error) for error in fetched.rejected]
    if fetched.rejected:
        log.warning("%s: %d price entries skipped", source.name, len(fetched.rejected))
    return report


async def price_history(
    runtime: Runtime, unit: Unit, card_id: str, limit: int
) -> dict[str, Any] | None:
    async def read(conn: Conn) -> tuple[RowMapping, Sequence[RowMapping]] | None:
        repo = PriceRepository(conn)
        card = await repo.current(card_id)
        if card is None:
            return None
        return card, await repo.history(card_id, limit)

    found = await unit.read(read)
    if found is None:
        return None
    card, history = found
    return {
        "card_id": card_id,
        "fmv": cents_to_number(card["fmv_cents"]),
        "source": card["fmv_source"],
        "as_of": isoformat(card["fmv_as_of"]),
        "stale": is_card_stale(runtime, card["fmv_as_of"]),
        "history": [
            {
                "fmv": cents_to_number(h["fmv_cents"]),
                "source": h["source"],
                "as_of": isoformat(h["as_of"]),
                "recorded_at": isoformat(h["recorded_at"]),
            }
            for h in history
        ],
    }


def is_card_stale(runtime: Runtime, as_of: datetime) -> bool:
    return is_stale(as_of, runtime.clock(), max_price_age(runtime.settings.price_max_age_hours))


async def stale_prices(runtime: Runtime, unit: Unit, limit: int) -> dict[str, Any]:
    """Cards in pools or inventories whose price is too old to settle a sellback."""
    max_age = max_price_age(runtime.settings.price_max_age_hours)
    if max_age is None:
        return {"max_age_hours": None, "cards": []}
    before = runtime.clock() - max_age

    async def read(conn: Conn) -> Sequence[RowMapping]:
        return await PriceRepository(conn).stale(before, limit)

    rows = await unit.read(read)
    return {
        "max_age_hours": runtime.settings.price_max_age_hours,
        "cards": [
            {
                "card_id": r["id"],
                "pack_id": r["pack_id"],
                "status": r["status"],
                "fmv": cents_to_number(r["fmv_cents"]),
                "source": r["fmv_source"],
                "as_of": isoformat(r["fmv_as_of"]),
            }
            for r in rows
        ],
    }
