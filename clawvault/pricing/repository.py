"""All SQL about prices: the current FMV on each card, its history, stale prices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clawvault.core.timeutil import as_utc
from clawvault.db.bulk import bulk_insert
from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres
from clawvault.db.models import Card, CardPrice, CardStatus, PackTier
from clawvault.pricing.domain import PriceQuote

PRICED_STATUSES = (CardStatus.AVAILABLE.value, CardStatus.HELD.value)
LOOKUP_CHUNK = 1_000


@dataclass(frozen=True)
class PricedCard:
    card_id: str
    pack_id: str
    status: str
    fmv_cents: int
    fmv_as_of: datetime
    tier_id: int | None


def _tier_of_new_price() -> object:
    """The tier of the card's own pack whose band holds the new FMV, decided in the statement,
    so it is always the band of the pack the card is in when the price lands."""
    return (
        select(PackTier.tier_id)
        .where(
            PackTier.pack_id == Card.pack_id,
            PackTier.lower_cents <= bindparam("p_fmv"),
            PackTier.upper_cents > bindparam("p_fmv"),
        )
        .order_by(PackTier.tier_id)
        .limit(1)
        .correlate(Card)
        .scalar_subquery()
    )


class PriceRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def cards(self, card_ids: Iterable[str]) -> dict[str, PricedCard]:
        ids = list(dict.fromkeys(card_ids))
        found: dict[str, PricedCard] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            query = select(
                Card.id, Card.pack_id, Card.status, Card.fmv_cents, Card.fmv_as_of, Card.tier_id
            ).where(Card.id.in_(ids[start : start + LOOKUP_CHUNK]))
            for row in (await self.conn.execute(query)).all():
                found[row.id] = PricedCard(
                    row.id,
                    row.pack_id,
                    row.status,
                    row.fmv_cents,
                    as_utc(row.fmv_as_of),
                    row.tier_id,
                )
        return found

    async def record_history(self, quotes: Sequence[PriceQuote], now: datetime) -> None:
        if not quotes:
            return
        rows = [
            {
                "card_id": q.card_id,
                "fmv_cents": q.fmv_cents,
                "source": q.source,
                "as_of": q.as_of,
                "recorded_at": now,
            }
            for q in quotes
        ]
        dialect = postgresql if is_postgres(self.conn) else sqlite
        statement = dialect.insert(CardPrice).on_conflict_do_nothing()
        await self.conn.execute(statement, rows)

    async def record_first_prices(self, quotes: Sequence[PriceQuote], now: datetime) -> None:
        """The first price of cards created in this transaction (nothing to conflict with)."""
        rows = [
            {
                "card_id": q.card_id,
                "fmv_cents": q.fmv_cents,
                "source": q.source,
                "as_of": q.as_of,
                "recorded_at": now,
            }
            for q in quotes
        ]
        columns = ("card_id", "fmv_cents", "source", "as_of", "recorded_at")
        await bulk_insert(self.conn, CardPrice.__table__, columns, rows)  # type: ignore[arg-type]

    async def set_current(self, quotes: Sequence[PriceQuote], now: datetime) -> None:
        """Makes each quote the card's current FMV unless the card already carries a price at
        least as recent (a conditional write: late or concurrent writers never go back in
        time), and moves the card into the tier whose band holds the new FMV."""
        if not quotes:
            return
        statement = (
            update(Card)
            .where(Card.id == bindparam("p_id"), Card.fmv_as_of < bindparam("p_as_of"))
            .values(
                fmv_cents=bindparam("p_fmv"),
                fmv_source=bindparam("p_source"),
                fmv_as_of=bindparam("p_as_of"),
                tier_id=_tier_of_new_price(),
                updated_at=now,
            )
        )
        rows = [
            {"p_id": q.card_id, "p_fmv": q.fmv_cents, "p_source": q.source, "p_as_of": q.as_of}
            for q in quotes
        ]
        await self.conn.execute(statement, rows)

    async def history(self, card_id: str, limit: int) -> Sequence[RowMapping]:
        query = (
            select(CardPrice.fmv_cents, CardPrice.source, CardPrice.as_of, CardPrice.recorded_at)
            .where(CardPrice.card_id == card_id)
            .order_by(CardPrice.as_of.desc(), CardPrice.id.desc())
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def current(self, card_id: str) -> RowMapping | None:
        query = select(
            Card.id, Card.pack_id, Card.status, Card.fmv_cents, Card.fmv_source, Card.fmv_as_of
        ).where(Card.id == card_id)
        return (await self.conn.execute(query)).mappings().first()

    async def stale(self, older_than: datetime, limit: int) -> Sequence[RowMapping]:
        """Cards in a pool or an inventory whose price is older than `older_than`."""
        query = (
            select(
                Card.id, Card.pack_id, Card.status, Card.fmv_cents, Card.fmv_source, Card.fmv_as_of
            )
            .where(Card.fmv_as_of < older_than, Card.status.in_(PRICED_STATUSES))
            .order_by(Card.fmv_as_of, Card.id)
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def priced_cards(self) -> list[PricedCard]:
        """Every card in a pool or an inventory (the simulated market moves them; demo-sized)."""
        query = (
            select(Card.id, Card.pack_id, Card.status, Card.fmv_cents, Card.fmv_as_of, Card.tier_id)
            .where(Card.status.in_(PRICED_STATUSES))
            .order_by(Card.id)
        )
        return [
            PricedCard(r.id, r.pack_id, r.status, r.fmv_cents, as_utc(r.fmv_as_of), r.tier_id)
            for r in (await self.conn.execute(query)).all()
        ]
