"""All SQL of a sellback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.dialect import is_postgres
from clawvault.db.models import Buyback, Card, CardStatus, Pack


class RowBusy(Exception):
    """Another transaction holds the row."""


class BuybackRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def lock_held_card(self, card_id: str, partner_id: int) -> RowMapping | None:
        """The card, if a user of this partner holds it, with its pack's buyback terms, locked
        for this transaction. PostgreSQL: NOWAIT, so a concurrent sellback learns at once that
        another one is in flight. Only rows that pass the filter are locked: another partner's
        card or a pooled one is simply not found (never a 429, and never locked by a stranger)."""
        query = (
            select(
                Card.id,
                Card.pack_id,
                Card.status,
                Card.owner_partner_id,
                Card.owner_user_id,
                Card.session_id,
                Card.fmv_cents,
                Card.fmv_as_of,
                Card.buyback_expires_at,
                Pack.buyback_bps,
            )
            .join(Pack, Pack.id == Card.pack_id)
            .where(
                Card.id == card_id,
                Card.status == CardStatus.HELD.value,
                Card.owner_partner_id == partner_id,
            )
        )
        if is_postgres(self.conn):
            query = query.with_for_update(nowait=True, of=Card)
        try:
            return (await self.conn.execute(query)).mappings().first()
        except DBAPIError as exc:
            if "LockNotAvailable" in type(exc.orig).__name__ or "could not obtain lock" in str(
                exc.orig
            ):
                raise RowBusy() from exc
            raise

    async def is_held_by(self, card_id: str, partner_id: int) -> bool:
        query = select(Card.id).where(
            Card.id == card_id,
            Card.status == CardStatus.HELD.value,
            Card.owner_partner_id == partner_id,
        )
        return (await self.conn.execute(query)).first() is not None

    async def return_to_pool(
        self, card_id: str, session_id: str, pool_key: int, now: datetime
    ) -> bool:
        result = await self.conn.execute(
            update(Card)
            .where(
                Card.id == card_id,
                Card.status == CardStatus.HELD.value,
                Card.session_id == session_id,
            )
            .values(
                status=CardStatus.AVAILABLE.value,
                owner_partner_id=None,
                owner_user_id=None,
                session_id=None,
                purchased_at=None,
                buyback_expires_at=None,
                pool_key=pool_key,
                updated_at=now,
            )
        )
        return result.rowcount == 1

    async def record(self, values: dict[str, object]) -> int:
        result = await self.conn.execute(insert(Buyback).values(values).returning(Buyback.id))
        return int(result.scalar_one())
