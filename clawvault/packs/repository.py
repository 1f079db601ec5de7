"""All SQL about packs, their tiers, stock and EV."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    RowMapping,
    exists,
    func,
    insert,
    literal_column,
    select,
    union,
    update,
)

from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.models import (
    Buyback,
    Card,
    Pack,
    PackEvHistory,
    PackTier,
    Pull,
    is_available,
)
from clawvault.packs.domain import Tier, TierStock


def tier_from_row(row: RowMapping | Any) -> Tier:
    return Tier(
        tier_id=row.tier_id,
        name=row.name,
        color=row.color,
        lower_cents=row.lower_cents,
        upper_cents=row.upper_cents,
        weight=row.weight,
    )


# Whether the pack tier (PackTier, correlated) has an available card, locked or not: one probe
# of ix_cards_pool.
TIER_HAS_STOCK = exists().where(
    Card.pack_id == PackTier.pack_id,
    is_available(),
    Card.tier_id == PackTier.tier_id,
)


@dataclass(frozen=True)
class StockMarks:
    """The newest pull and sellback ids: stock moved when either grew."""

    pull_id: int
    buyback_id: int


class PackRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def list_packs(self, platform: str | None = None) -> Sequence[RowMapping]:
        query = select(Pack.__table__).order_by(Pack.created_at, Pack.id)
        if platform is not None:
            query = query.where(Pack.platform == platform)
        return (await self.conn.execute(query)).mappings().all()

    async def get(self, pack_id: str) -> RowMapping | None:
        query = select(Pack.__table__).where(Pack.id == pack_id)
        return (await self.conn.execute(query)).mappings().first()

    async def get_by_slug_or_id(self, slug: str) -> RowMapping | None:
        query = select(Pack.__table__).where((Pack.slug == slug) | (Pack.id == slug)).limit(1)
        return (await self.conn.execute(query)).mappings().first()

    async def tiers(self, pack_id: str) -> list[Tier]:
        return (await self.tiers_by_pack([pack_id])).get(pack_id, [])

    async def tiers_by_pack(self, pack_ids: Iterable[str] | None = None) -> dict[str, list[Tier]]:
        query = select(PackTier.__table__).order_by(PackTier.pack_id, PackTier.tier_id)
        if pack_ids is not None:
            query = query.where(PackTier.pack_id.in_(list(pack_ids)))
        result: dict[str, list[Tier]] = defaultdict(list)
        for row in (await self.conn.execute(query)).mappings():
            result[row["pack_id"]].append(tier_from_row(row))
        return result

    async def packs_with_an_empty_tier(self, pack_ids: Iterable[str] | None = None) -> set[str]:
        """Packs where some tier with a positive weight has no available card (the honest-odds
        rule). One index probe per tier; sees every committed row, locked or not."""
        query = select(PackTier.pack_id).where(PackTier.weight > 0, ~TIER_HAS_STOCK).distinct()
        if pack_ids is not None:
            query = query.where(PackTier.pack_id.in_(list(pack_ids)))
        return set((await self.conn.execute(query)).scalars().all())

    async def tier_stock(self, pack_id: str) -> dict[int, TierStock]:
        # Grouped by `tier_id + 0`, not by the column: SQLite then reads the covering
        # ix_cards_value alone instead of walking ix_cards_pool (already in tier order) and
        # looking every card up in the table, a fifth of the CPU (3 instead of 15 ms for a pack
        # of 10,800 cards).
        tier = (Card.tier_id + literal_column("0")).label("tier_id")
        query = (
            select(tier, func.count(), func.coalesce(func.sum(Card.fmv_cents), 0))
            .where(Card.pack_id == pack_id, is_available())
            .group_by(tier)
        )
        return {
            tier_id: TierStock(int(count), int(total))
            for tier_id, count, total in (await self.conn.execute(query)).all()
            if tier_id is not None
        }

    async def ev_history(self, pack_id: str, since: datetime) -> list[tuple[datetime, int]]:
        """EV entries since `since`, plus the one in force at `since`."""
        in_window = select(PackEvHistory.recorded_at, PackEvHistory.ev_cents).where(
            PackEvHistory.pack_id == pack_id, PackEvHistory.recorded_at >= since
        )
        before = (
            select(PackEvHistory.recorded_at, PackEvHistory.ev_cents)
            .where(PackEvHistory.pack_id == pack_id, PackEvHistory.recorded_at < since)
            .order_by(PackEvHistory.recorded_at.desc())
            .limit(1)
        )
        rows = list((await self.conn.execute(before)).all())
        rows += list((await self.conn.execute(in_window.order_by(PackEvHistory.recorded_at))).all())
        return [(as_utc(at), int(ev)) for at, ev in rows]

    async def stock_marks(self) -> StockMarks:
        pull_id = (await self.conn.execute(select(func.max(Pull.id)))).scalar()
        buyback_id = (await self.conn.execute(select(func.max(Buyback.id)))).scalar()
        return StockMarks(int(pull_id or 0), int(buyback_id or 0))

    async def packs_with_stock_moves_since(self, marks: StockMarks) -> set[str]:
        """Packs with a pull or a sellback newer than `marks` (primary key ranges)."""
        query = union(
            select(Pull.pack_id).where(Pull.id > marks.pull_id),
            select(Buyback.pack_id).where(Buyback.id > marks.buyback_id),
        )
        return set((await self.conn.execute(query)).scalars().all())

    async def set_ev(
        self, pack_id: str, ev_cents: int, min_ev: int, max_ev: int, now: datetime
    ) -> bool:
        """Stores a new EV; returns False (and writes nothing) when it did not change."""
        result = await self.conn.execute(
            update(Pack)
            .where(Pack.id == pack_id, Pack.ev_cents != ev_cents)
            .values(ev_cents=ev_cents, min_ev_cents=min_ev, max_ev_cents=max_ev, ev_updated_at=now)
        )
        if result.rowcount == 0:
            await self.conn.execute(
                update(Pack)
                .where(Pack.id == pack_id)
                .values(min_ev_cents=min_ev, max_ev_cents=max_ev)
            )
            return False
        await self.conn.execute(
            insert(PackEvHistory).values(pack_id=pack_id, ev_cents=ev_cents, recorded_at=now)
        )
        return True

    async def chase_cards(self, pack_id: str, limit: int) -> Sequence[RowMapping]:
        query = (
            select(Card.id, Card.name, Card.image, Card.back_image, Card.fmv_cents)
            .where(Card.pack_id == pack_id, is_available())
            .order_by(Card.fmv_cents.desc(), Card.id)
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()
