"""All SQL of a pull: claiming cards from a pool, recording sessions and pulls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.dialect import is_postgres
from clawvault.db.engine import TransientConflict
from clawvault.db.models import Card, CardStatus, Pack, Pull, PurchaseSession
from clawvault.inventory.repository import item_select

CLAIMED_COLUMNS = (
    Card.id,
    Card.pack_id,
    Card.name,
    Card.image,
    Card.back_image,
    Card.attributes,
    Card.type,
    Card.mint_address,
    Card.collection_address,
    Card.token_standard,
    Card.fmv_cents,
    Card.purchased_at,
    Card.buyback_expires_at,
    Card.pool_key,
)


class PullRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def claim_card(
        self,
        pack_id: str,
        tier_id: int,
        key: int,
        *,
        partner_id: int,
        user_id: str,
        session_id: str,
        now: datetime,
        expires_at: datetime | None,
        wait: bool = True,
    ) -> RowMapping | None:
        """Moves one available card of the tier, the first at or after `key` in pool order
        (wrapping around), into the user's hands. One indexed statement: O(log pool size).

        PostgreSQL: the candidate row is locked with SKIP LOCKED so concurrent pulls on one
        pack take different cards instead of queueing; when every candidate is locked by
        others, "none left" is never an artefact of skipping: with `wait` a blocking pass
        decides; without it (the transaction already holds cards, and waiting while holding
        them deadlocks against a pull waiting for ours) a non-skipping check either finds no
        card at all (None: out of stock) or raises TransientConflict to roll back and retry."""
        passes: list[tuple[int, bool | None]]
        if is_postgres(self.conn):
            passes = [(key, True), (0, True), *([(0, False)] if wait else [])]
        else:
            passes = [(key, None), (0, None)]  # writers are serialized: nothing to skip
        for lower_bound, skip_locked in passes:
            candidate = (
                select(Card.id)
                .where(
                    Card.pack_id == pack_id,
                    Card.status == CardStatus.AVAILABLE.value,
                    Card.tier_id == tier_id,
                    Card.pool_key >= lower_bound,
                )
                .order_by(Card.pool_key)
                .limit(1)
            )
            if skip_locked is not None:
                candidate = candidate.with_for_update(skip_locked=skip_locked)
            statement = (
                update(Card)
                .where(
                    Card.id == candidate.scalar_subquery(),
                    Card.status == CardStatus.AVAILABLE.value,
                )
                .values(
                    status=CardStatus.HELD.value,
                    owner_partner_id=partner_id,
                    owner_user_id=user_id,
                    session_id=session_id,
                    purchased_at=now,
                    buyback_expires_at=expires_at,
                    updated_at=now,
                )
                .returning(*CLAIMED_COLUMNS)
            )
            row = (await self.conn.execute(statement)).mappings().first()
            if row is not None:
                return row
        if not wait and is_postgres(self.conn) and await self.has_available(pack_id, tier_id):
            raise TransientConflict()  # cards left, all locked by pulls still in flight
        return None

    async def has_available(self, pack_id: str, tier_id: int) -> bool:
        """Whether the tier has an available card, locked or not (never skips)."""
        query = select(Card.id).where(
            Card.pack_id == pack_id,
            Card.status == CardStatus.AVAILABLE.value,
            Card.tier_id == tier_id,
        )
        return (await self.conn.execute(query.limit(1))).first() is not None

    async def add_session(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(PurchaseSession).values(values))

    async def add_pulls(self, rows: list[dict[str, Any]]) -> None:
        await self.conn.execute(insert(Pull), rows)

    async def session(self, session_id: str, partner_id: int) -> RowMapping | None:
        query = select(PurchaseSession.__table__).where(
            PurchaseSession.id == session_id, PurchaseSession.partner_id == partner_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def session_items(self, session_id: str) -> Sequence[RowMapping]:
        query = (
            item_select()
            .add_columns(
                Pull.created_at.label("pulled_at"),
                Card.session_id.label("holding_session_id"),
                Pack.buyback_window_seconds,
            )
            .join(Pull, Pull.card_id == Card.id)
            .where(Pull.session_id == session_id)
            .order_by(Pull.position)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def recent(self, pack_ids: list[str] | None, limit: int) -> Sequence[RowMapping]:
        query = (
            select(
                Pull.card_id,
                Pull.pack_id,
                Pack.slug,
                Pull.value_cents,
                Pull.buyback_price_cents,
                Pull.created_at,
                Card.name,
                Card.image,
                Card.back_image,
                Card.attributes,
            )
            .join(Card, Card.id == Pull.card_id)
            .join(Pack, Pack.id == Pull.pack_id)
            .order_by(Pull.id.desc())
            .limit(limit)
        )
        if pack_ids is not None:
            query = query.where(Pull.pack_id.in_(pack_ids))
        return (await self.conn.execute(query)).mappings().all()
