"""All SQL about what users hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    RowMapping,
    Select,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts
from clawvault.db.engine import Database
from clawvault.db.lean import Compiled
from clawvault.db.models import Card, CardStatus, Pack, User

# What an item shows of its card (the inventory's items, a pull's cards, the sandbox's).
CARD_ITEM_COLUMNS = (
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
)
ITEM_COLUMNS = (
    *CARD_ITEM_COLUMNS,
    Card.purchased_at,
    Card.buyback_expires_at,
    Pack.slug.label("claw_slug"),
    Pack.buyback_bps,
)


def item_select() -> Select[tuple[object, ...]]:
    return select(*ITEM_COLUMNS).join(Pack, Pack.id == Card.pack_id)


class InventoryRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def ensure_user(self, partner_id: int, user_id: str, now: datetime) -> None:
        await insert_ignoring_conflicts(
            self.conn,
            User.__table__,  # type: ignore[arg-type]
            {"partner_id": partner_id, "user_id": user_id, "created_at": now},
        )

    async def card(self, card_id: str) -> RowMapping | None:
        query = select(
            Card.id, Card.name, Card.image, Card.back_image, Card.attributes, Card.fmv_cents
        ).where(Card.id == card_id)
        return (await self.conn.execute(query)).mappings().first()


# The inventory read, lean: one statement per page kind (`held_statement`, written once over
# item_select()), compiled once per dialect (db.lean.Compiled: the SQL and its parameters in
# order, processed as SQLAlchemy would) and run on the driver's own connection, one hand-over to
# SQLite's thread or one round trip to PostgreSQL, no per-row SQLAlchemy processing. SQLite
# keeps times as text ("2026-11-27 18:49:20.253268", SQLAlchemy's format, in UTC): they go to
# the wire by slicing instead of being parsed into datetimes and formatted again.
# tests/inventory/test_inventory_cache.py compares the answers with SQLAlchemy's.

HELD_COLUMNS: tuple[str, ...] = tuple(str(c.key) for c in item_select().selected_columns)


def held_statement(page: str) -> Select[tuple[object, ...]]:
    """What a user holds, newest first then by id. Parameters: partner_id, user_id; for a page,
    limit; after one, the keyset position after_at, after_id. A page is a range of the index
    ix_cards_owner_page."""
    query = item_select().where(
        Card.owner_partner_id == bindparam("partner_id"),
        Card.owner_user_id == bindparam("user_id"),
        Card.status == literal_column(f"'{CardStatus.HELD.value}'"),
    )
    if page == "after":
        after_at = bindparam("after_at", type_=Card.purchased_at.type)
        query = query.where(
            or_(
                Card.purchased_at < after_at,
                and_(Card.purchased_at == after_at, Card.id > bindparam("after_id")),
            )
        )
    query = query.order_by(Card.purchased_at.desc(), Card.id)
    return query if page == "all" else query.limit(bindparam("limit"))


def _with_snapshot_and_user(held: Select[tuple[object, ...]]) -> Select[tuple[object, ...]]:
    """PostgreSQL: one statement answers all, with the snapshot it saw (the cache's token, see
    Database.data_version) and whether the user is known; no items: one row of NULL items."""
    items = held.subquery("i")
    known = exists().where(
        User.partner_id == bindparam("partner_id"), User.user_id == bindparam("user_id")
    )
    one = select(literal_column("1")).subquery("one")
    return (
        select(
            func.pg_current_snapshot().cast(Text).label("snapshot"),
            known.label("known"),
            *items.c,
        )
        .select_from(one.outerjoin(items, true()))
        .order_by(items.c.purchased_at.desc(), items.c.id)
    )


# The parameters of each page's statement.
PAGE_KEYS = {
    "all": ("partner_id", "user_id"),
    "first": ("partner_id", "user_id", "limit"),
    "after": ("partner_id", "user_id", "limit", "after_at", "after_id"),
}
SQLITE_HELD = {
    page: Compiled(held_statement(page), sqlite.dialect(), keys) for page, keys in PAGE_KEYS.items()
}
SQLITE_USER_EXISTS = Compiled(
    select(literal_column("1")).where(
        User.partner_id == bindparam("partner_id"), User.user_id == bindparam("user_id")
    ),
    sqlite.dialect(),
    PAGE_KEYS["all"],
)
_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
PG_HELD = {
    page: Compiled(_with_snapshot_and_user(held_statement(page)), _ASYNCPG, keys)
    for page, keys in PAGE_KEYS.items()
}

# SQLAlchemy's own conversions of Card's times on SQLite, for the rare text not in its format.
_SQLITE_TIME = Card.__table__.c.purchased_at.type.dialect_impl(sqlite.dialect())
_parse_stored_time: Any = _SQLITE_TIME.result_processor(sqlite.dialect(), None)


def sqlite_time_from_text(stored: str) -> datetime:
    """A SQLite time as SQLAlchemy reads it (naive, UTC)."""
    value: datetime = _parse_stored_time(stored)
    return value


def _sqlite_wire_time(stored: str | None) -> str | None:
    if stored is None:
        return None
    if len(stored) == 26 and stored[10] == " " and stored[19] == ".":
        return f"{stored[:10]}T{stored[11:23]}Z"  # isoformat(timespec="milliseconds") + "Z"
    return isoformat(sqlite_time_from_text(stored))


@dataclass(frozen=True)
class HeldItems:
    user_known: bool
    # The columns of HELD_COLUMNS (attributes parsed; the times as stored) and the two times in
    # their wire form, "purchased_at_wire" and "buyback_expires_at_wire".
    items: list[dict[str, Any]]
    token: Hashable | None  # the Database.data_version token of the data read


def _sqlite_items(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    items = []
    for row in rows:
        item = dict(zip(HELD_COLUMNS, row, strict=True))
        attributes = item["attributes"]
        item["attributes"] = None if attributes is None else orjson.loads(attributes)
        item["purchased_at_wire"] = _sqlite_wire_time(item["purchased_at"])
        item["buyback_expires_at_wire"] = _sqlite_wire_time(item["buyback_expires_at"])
        items.append(item)
    return items


async def held_items_lean(
    db: Database,
    partner_id: int,
    user_id: str,
    page: tuple[int, tuple[datetime, str] | None] | None = None,
) -> HeldItems:
    """What `user_id` holds, newest first then by id: all of it, or with `page` = (limit,
    after) at most `limit` items after the keyset position `after`; and whether the user is
    known (asked only when it matters: no items, or a page)."""
    if db.is_postgres:
        return await _postgres_held(db, partner_id, user_id, page)

    who = {"partner_id": partner_id, "user_id": user_id}

    def work(conn: sqlite3.Connection) -> tuple[bool, list[tuple[Any, ...]]]:
        def rows(page: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            statement = SQLITE_HELD[page]
            return conn.execute(statement.sql, statement.values(params)).fetchall()

        def known() -> bool:
            found = conn.execute(SQLITE_USER_EXISTS.sql, SQLITE_USER_EXISTS.values(who))
            return found.fetchone() is not None

        if page is None:
            held = rows("all", who)
            return (True if held else known()), held
        if not known():
            return False, []
        limit, after = page
        if after is None:
            return True, rows("first", {**who, "limit": limit})
        return True, rows(
            "after", {**who, "limit": limit, "after_at": after[0], "after_id": after[1]}
        )

    (user_known, rows), token = await db.sqlite_read(work)
    return HeldItems(user_known, _sqlite_items(rows), token)


async def _postgres_held(
    db: Database,
    partner_id: int,
    user_id: str,
    page: tuple[int, tuple[datetime, str] | None] | None,
) -> HeldItems:
    params: dict[str, Any] = {"partner_id": partner_id, "user_id": user_id}
    if page is None:
        statement = PG_HELD["all"]
    else:
        params["limit"], after = page
        statement = PG_HELD["first"] if after is None else PG_HELD["after"]
        if after is not None:
            params["after_at"], params["after_id"] = after
    records = await db.postgres_fetch(statement.sql, *statement.values(params))
    first = records[0]
    items = []
    for record in records:
        if record["id"] is None:
            continue
        item = {column: record[column] for column in HELD_COLUMNS}
        item["purchased_at_wire"] = isoformat(item["purchased_at"])
        item["buyback_expires_at_wire"] = isoformat(item["buyback_expires_at"])
        items.append(item)
    known = True if page is None and items else bool(first["known"])
    return HeldItems(known, items, first["snapshot"])
