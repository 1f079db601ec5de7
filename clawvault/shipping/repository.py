"""All SQL of quotes, orders and the cards they hold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Executable, RowMapping, bindparam, insert, select, update

from clawvault.db import lean
from clawvault.db.batcher import Batcher, PerDatabase
from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres, unindexed
from clawvault.db.engine import Database, json_text
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

# PostgreSQL, outside a transaction (QuoteRounds): the cards of every quote of a round, and
# every quote of a round, each one statement.
PG_ROUND_CARDS = """
SELECT id, status, fmv_cents, owner_partner_id, owner_user_id
FROM cards WHERE id = ANY($1::varchar[])
"""
# A quote's columns, each with the type of the array its values of a round are sent in.
QUOTE_COLUMNS = (
    ("id", "varchar"),
    ("partner_id", "bigint"),
    ("user_id", "varchar"),
    ("item_ids", "text"),
    ("destination", "text"),
    ("declared_value_cents", "bigint"),
    ("zone", "varchar"),
    ("rates", "text"),
    ("created_at", "timestamptz"),
    ("expires_at", "timestamptz"),
)
JSON_COLUMNS = frozenset({"item_ids", "destination", "rates"})  # sent as text, cast to json
_NAMES = ", ".join(name for name, _type in QUOTE_COLUMNS)
PG_ADD_QUOTES = f"""
INSERT INTO quotes ({_NAMES})
SELECT {", ".join(f"{n}::json" if n in JSON_COLUMNS else n for n, _type in QUOTE_COLUMNS)}
FROM unnest({", ".join(f"${i}::{t}[]" for i, (_n, t) in enumerate(QUOTE_COLUMNS, 1))})
     AS q({_NAMES})
"""


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


Built = tuple[dict[str, Any], Any]  # a quote's row, and what its request keeps of it


class QuoteRounds:
    """PostgreSQL, for quotes that need no transaction (no idempotency record to commit with
    them): one round for all the quotes in flight (clawvault.db.batcher), two statements:
    their cards read, then the rows their requests build from them inserted. A quote alone
    was already two statements, each a transaction of its own, so nothing changes for one
    quote; for many, two round trips and one commit serve them all."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.batcher: Batcher[tuple[list[str], Callable[[list[Any]], Built]], Built]
        self.batcher = Batcher(self._round)

    async def quote(self, card_ids: list[str], build: Callable[[list[Any]], Built]) -> Built:
        """`build` given the cards of these ids that exist (each once, as
        `ShippingRepository.cards`); the row it returns stored. What it raises is raised."""
        return await self.batcher.submit((card_ids, build))

    async def _round(
        self, asks: list[tuple[list[str], Callable[[list[Any]], Built]]]
    ) -> list[Built | BaseException]:
        wanted = list({card_id: None for ids, _build in asks for card_id in ids})
        found = {row["id"]: row for row in await self._db.postgres_fetch(PG_ROUND_CARDS, wanted)}
        built: list[Built | BaseException] = []
        for ids, build in asks:
            try:
                built.append(build([found[card_id] for card_id in ids if card_id in found]))
            except Exception as exc:  # this quote's refusal (an unknown item, ...)
                built.append(exc)
        rows = [b[0] for b in built if not isinstance(b, BaseException)]
        failures = iter(await self._insert(rows) if rows else [])
        outcomes: list[Built | BaseException] = []
        for quote in built:
            if not isinstance(quote, BaseException):
                failure = next(failures)  # the insert's outcome of this quote's row
                if failure is not None:
                    quote = failure
            outcomes.append(quote)
        return outcomes

    async def _insert(self, quotes: list[dict[str, Any]]) -> list[BaseException | None]:
        try:
            await self._write(quotes)
            return [None] * len(quotes)
        except Exception as exc:
            if len(quotes) == 1:
                return [exc]
        # One quote failed the statement, and with it all: each alone, so only it fails.
        outcomes: list[BaseException | None] = []
        for quote in quotes:
            try:
                await self._write([quote])
                outcomes.append(None)
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _write(self, quotes: list[dict[str, Any]]) -> None:
        columns = [
            [json_text(q[name]) if name in JSON_COLUMNS else q[name] for q in quotes]
            for name, _type in QUOTE_COLUMNS
        ]
        await self._db.postgres_fetch(PG_ADD_QUOTES, *columns)


quote_rounds = PerDatabase(QuoteRounds)
