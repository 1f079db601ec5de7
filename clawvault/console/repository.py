"""The console's own read queries: card search, where a card is, the order board, pulls over
time. Everything else the console shows comes from the other domains' services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, or_, select, text

from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres
from clawvault.db.models import (
    Card,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderEvent,
    OrderItem,
    Pack,
    Partner,
    Pull,
    is_available,
)

SHIPPING_KINDS = (LedgerKind.SHIPPING.value, LedgerKind.SHIPPING_REFUND.value)


@dataclass(frozen=True)
class CardFilters:
    text: str = ""
    pack_id: str = ""
    tier_id: int | None = None
    status: str = ""
    grader: str = ""
    grade: str = ""


def _attribute(conn: Conn, trait: str, value: str, *, contains: bool) -> Any:
    """A card attribute {trait_type, value} matches (exactly, or containing `value`)."""
    key = trait.lower()  # one pair of bind names per trait: two filters may apply at once
    params = {f"{key}_trait": trait, f"{key}_value": f"%{value}%" if contains else value}
    if is_postgres(conn):
        compare = "ILIKE" if contains else "= lower"
        sql = (
            "EXISTS (SELECT 1 FROM json_array_elements(cards.attributes) AS a"
            f" WHERE a->>'trait_type' = :{key}_trait"
            f" AND lower(a->>'value') {compare}(:{key}_value))"
        )
    else:
        compare = f"LIKE :{key}_value" if contains else f"= :{key}_value COLLATE NOCASE"
        sql = (
            "EXISTS (SELECT 1 FROM json_each(cards.attributes) AS a"
            f" WHERE json_extract(a.value, '$.trait_type') = :{key}_trait"
            f" AND json_extract(a.value, '$.value') {compare})"
        )
    return text(sql).bindparams(**params)


class ConsoleRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def search_cards(
        self, filters: CardFilters, limit: int, offset: int
    ) -> Sequence[RowMapping]:
        conditions: list[Any] = []
        if filters.text:
            pattern = f"%{filters.text.lower()}%"
            conditions.append(or_(func.lower(Card.name).like(pattern), Card.id == filters.text))
        if filters.pack_id:
            conditions.append(Card.pack_id == filters.pack_id)
        if filters.tier_id is not None:
            conditions.append(Card.tier_id == filters.tier_id)
        if filters.status:
            conditions.append(Card.status == filters.status)
        if filters.grader:
            conditions.append(_attribute(self.conn, "Grader", filters.grader, contains=False))
        if filters.grade:
            conditions.append(_attribute(self.conn, "Grade", filters.grade, contains=True))
        query = (
            select(
                Card.id,
                Card.name,
                Card.pack_id,
                Pack.name.label("pack_name"),
                Card.tier_id,
                Card.status,
                Card.fmv_cents,
                Card.owner_user_id,
                Card.order_id,
            )
            .join(Pack, Pack.id == Card.pack_id)
            .where(and_(True, *conditions))
            .order_by(Card.name, Card.id)
            .limit(limit)
            .offset(offset)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def card(self, card_id: str) -> RowMapping | None:
        query = (
            select(
                Card.__table__,
                Pack.name.label("pack_name"),
                Partner.name.label("owner_partner"),
                Order.status.label("order_status"),
            )
            .join(Pack, Pack.id == Card.pack_id)
            .outerjoin(Partner, Partner.id == Card.owner_partner_id)
            .outerjoin(Order, Order.id == Card.order_id)
            .where(Card.id == card_id)
        )
        return (await self.conn.execute(query)).mappings().first()

    async def card_orders(self, card_id: str) -> Sequence[RowMapping]:
        query = (
            select(Order.id, Order.status, Order.created_at, OrderItem.released)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(OrderItem.card_id == card_id)
            .order_by(Order.created_at.desc())
            .limit(20)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def available_by_pack(self) -> dict[str, int]:
        query = select(Card.pack_id, func.count()).where(is_available()).group_by(Card.pack_id)
        return {pack_id: int(count) for pack_id, count in (await self.conn.execute(query)).all()}

    async def pull_times(self, pack_id: str, since: datetime) -> list[datetime]:
        query = select(Pull.created_at).where(Pull.pack_id == pack_id, Pull.created_at >= since)
        return [row[0] for row in (await self.conn.execute(query)).all()]

    def _order_rows(self) -> Any:
        cost = (
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .where(LedgerEntry.reference == Order.id, LedgerEntry.kind.in_(SHIPPING_KINDS))
            .scalar_subquery()
        )
        items = (
            select(func.count())
            .select_from(OrderItem)
            .where(OrderItem.order_id == Order.id)
            .scalar_subquery()
        )
        return select(
            Order.__table__,
            Partner.name.label("partner_name"),
            (-cost).label("net_cost_cents"),  # a numeric on PostgreSQL: money() takes any
            items.label("item_count"),
        ).join(Partner, Partner.id == Order.partner_id)

    async def orders(self, status: str, limit: int, offset: int) -> Sequence[RowMapping]:
        query = (
            self._order_rows()
            .where(Order.status == status)
            .order_by(Order.created_at, Order.id)
            .limit(limit)
            .offset(offset)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def order(self, order_id: str) -> RowMapping | None:
        query = self._order_rows().where(Order.id == order_id)
        return (await self.conn.execute(query)).mappings().first()

    async def order_counts(self) -> dict[str, int]:
        query = select(Order.status, func.count()).group_by(Order.status)
        return {status: int(count) for status, count in (await self.conn.execute(query)).all()}

    async def order_events(self, order_id: str) -> Sequence[RowMapping]:
        query = (
            select(OrderEvent.status, OrderEvent.note, OrderEvent.created_at)
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def order_ledger(self, order_id: str) -> Sequence[RowMapping]:
        query = (
            select(LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.created_at)
            .where(LedgerEntry.reference == order_id, LedgerEntry.kind.in_(SHIPPING_KINDS))
            .order_by(LedgerEntry.id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def balances(self) -> dict[int, int]:
        query = select(LedgerEntry.partner_id, func.sum(LedgerEntry.amount_cents)).group_by(
            LedgerEntry.partner_id
        )
        return {int(p): int(total) for p, total in (await self.conn.execute(query)).all()}
