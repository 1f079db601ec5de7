"""All SQL of quotes, orders and the cards they hold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Executable, RowMapping, bindparam, insert, select, update

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres, unindexed
from clawvault.db.models import Card, CardStatus, Order, OrderEvent, OrderItem, OrderStatus, Quote

OPEN_STATUSES = [
    status.value
    for status in (
        OrderStatus.QUEUED,
        OrderStatus.PROCESSING,
        OrderStatus.LABEL_CREATED,
        OrderStatus.SHIPPED,
    )
]

# Built once (every quote runs them): building and cache-keying a statement per call cost more
# CPU than running it.
_CARD_COLUMNS = (
    select(
        Card.id,
        Card.name,
        Card.image,
        Card.back_image,
        Card.status,
        Card.fmv_cents,
        Card.owner_partner_id,
        Card.owner_user_id,
    ).order_by(Card.id)  # one lock order for everyone: no deadlocks
)
CARDS = _CARD_COLUMNS.where(Card.id.in_(bindparam("card_ids", expanding=True)))
CARDS_LOCKED = CARDS.with_for_update()
FEW_CARDS = 16  # a quote of up to this many items reads them with a statement of its size


@cache
def _cards_of_count(count: int) -> Executable:
    """CARDS for exactly `count` ids, one parameter each (card_id_0, ...): no list parameter
    to expand, so db.lean can run it."""
    ids: list[BindParameter[str]] = [bindparam(f"card_id_{i}") for i in range(count)]
    return _CARD_COLUMNS.where(Card.id.in_(ids))


ADD_QUOTE = insert(Quote.__table__)  # type: ignore[arg-type]


class ShippingRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def cards(self, card_ids: list[str], *, lock: bool = False) -> Sequence[Any]:
        if not lock and len(card_ids) <= FEW_CARDS:
            params = {f"card_id_{i}": card_id for i, card_id in enumerate(card_ids)}
            return (await lean.execute(self.conn, _cards_of_count(len(card_ids)), params)).rows
        query = CARDS_LOCKED if lock and is_postgres(self.conn) else CARDS
        return (await self.conn.execute(query, {"card_ids": card_ids})).mappings().all()

    async def add_quote(self, values: dict[str, Any]) -> None:
        await lean.execute(self.conn, ADD_QUOTE, values)

    async def quote(self, quote_id: str, partner_id: int) -> RowMapping | None:
        query = select(Quote.__table__).where(Quote.id == quote_id, Quote.partner_id == partner_id)
        return (await self.conn.execute(query)).mappings().first()

    async def move_cards_into_order(
        self, card_ids: list[str], partner_id: int, user_id: str, order_id: str, now: datetime
    ) -> int:
        result = await self.conn.execute(
            update(Card)
            .where(
                Card.id.in_(card_ids),
                unindexed(Card.status) == CardStatus.HELD.value,
                unindexed(Card.owner_partner_id) == partner_id,
                unindexed(Card.owner_user_id) == user_id,
            )
            .values(status=CardStatus.SHIPPING.value, order_id=order_id, updated_at=now)
        )
        return int(result.rowcount)

    async def add_order(self, values: dict[str, Any], items: list[dict[str, Any]]) -> None:
        await self.conn.execute(insert(Order).values(values))
        await self.conn.execute(insert(OrderItem), items)

    async def add_event(self, order_id: str, status: str, note: str | None, now: datetime) -> None:
        await self.conn.execute(
            insert(OrderEvent).values(order_id=order_id, status=status, note=note, created_at=now)
        )

    async def order(
        self, order_id: str, *, partner_id: int | None = None, lock: bool = False
    ) -> RowMapping | None:
        query = select(Order.__table__).where(Order.id == order_id)
        if partner_id is not None:
            query = query.where(Order.partner_id == partner_id)
        if lock and is_postgres(self.conn):
            query = query.with_for_update()
        return (await self.conn.execute(query)).mappings().first()

    async def orders_waiting_since(self, before: datetime, limit: int) -> Sequence[RowMapping]:
        """Open orders whose last change is at or before `before`, the longest-waiting first."""
        query = (
            select(Order.id, Order.status)
            .where(Order.status.in_(OPEN_STATUSES), Order.updated_at <= before)
            .order_by(Order.updated_at, Order.id)
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def order_items(self, order_id: str) -> Sequence[RowMapping]:
        query = (
            select(OrderItem.card_id, OrderItem.name, OrderItem.image, OrderItem.back_image)
            .where(OrderItem.order_id == order_id)
            .order_by(OrderItem.card_id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def update_order(self, order_id: str, values: dict[str, Any]) -> None:
        await self.conn.execute(update(Order).where(Order.id == order_id).values(values))

    async def set_order_cards_status(
        self, order_id: str, status: CardStatus, now: datetime
    ) -> None:
        await self.conn.execute(
            update(Card)
            .where(Card.order_id == order_id)
            .values(status=status.value, updated_at=now)
        )

    async def release_order_cards(self, order_id: str, now: datetime) -> None:
        """A stopped order gives its cards back to the user's inventory."""
        await self.conn.execute(
            update(Card)
            .where(Card.order_id == order_id, Card.status == CardStatus.SHIPPING.value)
            .values(status=CardStatus.HELD.value, order_id=None, updated_at=now)
        )
        await self.conn.execute(
            update(OrderItem).where(OrderItem.order_id == order_id).values(released=True)
        )
