"""Read-only SQL on the production catalog for the sandbox: it reads packs, cards and prices,
and never writes or locks a production row."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import RowMapping, and_, exists, func, select

from clawvault.db.conn import Conn
from clawvault.db.models import Card, Pack, PackTier, is_available
from clawvault.inventory.repository import CARD_ITEM_COLUMNS

CARD_COLUMNS = (*CARD_ITEM_COLUMNS, Pack.slug.label("claw_slug"))


class CatalogRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def cards(self, card_ids: Iterable[str]) -> dict[str, RowMapping]:
        ids = list(set(card_ids))
        if not ids:
            return {}
        query = select(*CARD_COLUMNS).join(Pack, Pack.id == Card.pack_id).where(Card.id.in_(ids))
        return {row["id"]: row for row in (await self.conn.execute(query)).mappings()}

    async def pool_cards(self, pack_id: str, card_ids: Collection[str]) -> list[tuple[str, int]]:
        """Which of these cards are in the pack's pool right now, with their pool keys."""
        if not card_ids:
            return []
        query = select(Card.id, Card.pool_key).where(
            Card.pack_id == pack_id,
            is_available(),
            Card.id.in_(list(card_ids)),
        )
        return sorted((card_id, int(key)) for card_id, key in (await self.conn.execute(query)))

    async def tiers_with_candidates(self, pack_id: str, excluded: Collection[str]) -> set[int]:
        """Tiers with a positive weight that hold an available card not in `excluded`."""
        has_stock = exists().where(
            and_(
                Card.pack_id == PackTier.pack_id,
                is_available(),
                Card.tier_id == PackTier.tier_id,
                Card.id.not_in(list(excluded)),
            )
        )
        query = select(PackTier.tier_id).where(
            PackTier.pack_id == pack_id, PackTier.weight > 0, has_stock
        )
        return set((await self.conn.execute(query)).scalars().all())

    async def first_card(
        self, pack_id: str, tier_id: int, lower_bound: int, excluded: Collection[str]
    ) -> RowMapping | None:
        """The available card of the tier with the smallest pool key >= `lower_bound`, leaving
        out `excluded` (one index probe). Read only: nothing is reserved."""
        query = (
            select(Card.id, Card.fmv_cents, Card.pool_key)
            .where(
                Card.pack_id == pack_id,
                is_available(),
                Card.tier_id == tier_id,
                Card.pool_key >= lower_bound,
                Card.id.not_in(list(excluded)),
            )
            .order_by(Card.pool_key)
            .limit(1)
        )
        return (await self.conn.execute(query)).mappings().first()

    async def available_by_tier(self, pack_id: str, excluded: Collection[str]) -> dict[int, int]:
        """Available cards of the pack by tier, leaving out `excluded`."""
        query = (
            select(Card.tier_id, func.count())
            .where(
                Card.pack_id == pack_id,
                is_available(),
                Card.id.not_in(list(excluded)),
            )
            .group_by(Card.tier_id)
        )
        rows = (await self.conn.execute(query)).all()
        return {int(tier): int(count) for tier, count in rows if tier is not None}

    async def packs_with_any_stock(self, pack_ids: Sequence[str]) -> set[str]:
        """Packs where at least one tier with a positive weight has an available card (the
        sandbox's looser in-stock rule)."""
        has_stock = exists().where(
            and_(
                Card.pack_id == PackTier.pack_id,
                is_available(),
                Card.tier_id == PackTier.tier_id,
            )
        )
        query = (
            select(PackTier.pack_id)
            .where(PackTier.pack_id.in_(list(pack_ids)), PackTier.weight > 0, has_stock)
            .distinct()
        )
        return set((await self.conn.execute(query)).scalars().all())
