"""All SQL of a sellback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db import lean
from clawvault.db.dialect import is_postgres
from clawvault.db.models import Buyback, Card, CardStatus, Environment, Pack
from clawvault.webhooks.repository import ENDPOINT_EXISTS


class RowBusy(Exception):
    """Another transaction holds the row."""


# Built once (a sellback runs each of them): building and cache-keying a statement per call
# cost more CPU than running it.
HELD_CARD = (
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
        ENDPOINT_EXISTS,
    )
    .join(Pack, Pack.id == Card.pack_id)
    .where(
        Card.id == bindparam("card_id"),
        Card.status == CardStatus.HELD.value,
        Card.owner_partner_id == bindparam("partner_id"),
    )
)
HELD_CARD_LOCKED = HELD_CARD.with_for_update(nowait=True, of=Card)
IS_HELD_BY = select(Card.id).where(
    Card.id == bindparam("card_id"),
    Card.status == CardStatus.HELD.value,
    Card.owner_partner_id == bindparam("partner_id"),
)
RETURN_TO_POOL = (
    update(Card)
    .where(
        Card.id == bindparam("card_id"),
        Card.status == CardStatus.HELD.value,
        Card.session_id == bindparam("held_session_id"),
    )
    .values(
        status=CardStatus.AVAILABLE.value,
        owner_partner_id=None,
        owner_user_id=None,
        session_id=None,
        purchased_at=None,
        buyback_expires_at=None,
        pool_key=bindparam("new_pool_key"),
        updated_at=bindparam("now"),
    )
)
ADD_BUYBACK = insert(Buyback.__table__).returning(Buyback.id)  # type: ignore[arg-type]


class BuybackRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def lock_held_card(self, card_id: str, partner_id: int) -> lean.Row | None:
        """The card, if a user of this partner holds it, with its pack's buyback terms (and
        whether the partner has a production webhook endpoint), locked
        for this transaction. PostgreSQL: NOWAIT, so a concurrent sellback learns at once that
        another one is in flight. Only rows that pass the filter are locked: another partner's
        card or a pooled one is simply not found (never a 429, and never locked by a stranger)."""
        query = HELD_CARD_LOCKED if is_postgres(self.conn) else HELD_CARD
        params = {
            "card_id": card_id,
            "partner_id": partner_id,
            "endpoint_partner_id": partner_id,
            "endpoint_environment": Environment.PRODUCTION.value,
        }
        try:
            return (await lean.execute(self.conn, query, params)).first()
        except DBAPIError as exc:
            if "LockNotAvailable" in type(exc.orig).__name__ or "could not obtain lock" in str(
                exc.orig
            ):
                raise RowBusy() from exc
            raise

    async def is_held_by(self, card_id: str, partner_id: int) -> bool:
        params = {"card_id": card_id, "partner_id": partner_id}
        return (await self.conn.execute(IS_HELD_BY, params)).first() is not None

    async def return_to_pool(
        self, card_id: str, session_id: str, pool_key: int, now: datetime
    ) -> bool:
        params = {
            "card_id": card_id,
            "held_session_id": session_id,
            "new_pool_key": pool_key,
            "now": now,
        }
        result = await lean.execute(self.conn, RETURN_TO_POOL, params)
        return result.rowcount == 1

    async def record(self, values: dict[str, object]) -> int:
        result = await lean.execute(self.conn, ADD_BUYBACK, values)
        (row,) = result.rows
        return int(row["id"])
