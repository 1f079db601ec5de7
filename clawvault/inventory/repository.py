"""All SQL about what users hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import RowMapping, Select, select
from sqlalchemy.dialects import sqlite

from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts
from clawvault.db.engine import Database
from clawvault.db.models import Card, Pack, User

ITEM_COLUMNS = (
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


# The inventory read, lean: plain SQL on the driver's own connection, one hand-over to SQLite's
# thread or one round trip to PostgreSQL, no per-row SQLAlchemy processing. SQLite keeps times
# as text ("2026-11-27 18:49:20.253268", SQLAlchemy's format, in UTC): they go to the wire by
# slicing instead of being parsed into datetimes and formatted again. The answers are those of
# SQLAlchemy statements over item_select() (tests/test_inventory_cache.py compares them).

HELD_COLUMNS = (
    "id",
    "pack_id",
    "name",
    "image",
    "back_image",
    "attributes",
    "type",
    "mint_address",
    "collection_address",
    "token_standard",
    "fmv_cents",
    "purchased_at",
    "buyback_expires_at",
    "claw_slug",
    "buyback_bps",
)
_SELECT_HELD = (
    "SELECT c.id, c.pack_id, c.name, c.image, c.back_image, c.attributes, c.type,"
    " c.mint_address, c.collection_address, c.token_standard, c.fmv_cents, c.purchased_at,"
    " c.buyback_expires_at, p.slug AS claw_slug, p.buyback_bps"
    " FROM cards AS c JOIN packs AS p ON p.id = c.pack_id"
)
_HELD_ORDER = " ORDER BY c.purchased_at DESC, c.id"

SQLITE_HELD = (
    f"{_SELECT_HELD} WHERE c.owner_partner_id = ? AND c.owner_user_id = ? AND c.status = 'held'"
)
SQLITE_HELD_ALL = SQLITE_HELD + _HELD_ORDER
SQLITE_HELD_FIRST_PAGE = SQLITE_HELD + _HELD_ORDER + " LIMIT ?"
SQLITE_HELD_PAGE_AFTER = (
    SQLITE_HELD
    + " AND (c.purchased_at < ? OR (c.purchased_at = ? AND c.id > ?))"
    + _HELD_ORDER
    + " LIMIT ?"
)
SQLITE_USER_EXISTS = "SELECT 1 FROM users WHERE partner_id = ? AND user_id = ?"

# PostgreSQL: one statement answers all, with the snapshot it saw (the cache's token, see
# Database.data_version) and whether the user is known; no items: one row of NULL items.
_PG_HELD = (
    f"{_SELECT_HELD} WHERE c.owner_partner_id = $1 AND c.owner_user_id = $2 AND c.status = 'held'"
)


def _pg_statement(held: str) -> str:
    return (
        "SELECT pg_current_snapshot()::text AS snapshot,"
        " EXISTS (SELECT 1 FROM users WHERE partner_id = $1 AND user_id = $2) AS known, i.*"
        f" FROM (SELECT 1) AS one LEFT JOIN ({held}) AS i ON true"
        " ORDER BY i.purchased_at DESC, i.id"
    )


PG_HELD_ALL = _pg_statement(_PG_HELD + _HELD_ORDER)
PG_HELD_FIRST_PAGE = _pg_statement(_PG_HELD + _HELD_ORDER + " LIMIT $3")
PG_HELD_PAGE_AFTER = _pg_statement(
    _PG_HELD
    + " AND (c.purchased_at < $4 OR (c.purchased_at = $4 AND c.id > $5))"
    + _HELD_ORDER
    + " LIMIT $3"
)

# SQLAlchemy's own conversions of Card's times on SQLite, for the rare text not in its format.
_SQLITE_TIME = Card.__table__.c.purchased_at.type.dialect_impl(sqlite.dialect())
_parse_stored_time: Any = _SQLITE_TIME.result_processor(sqlite.dialect(), None)
_bind_stored_time: Any = _SQLITE_TIME.bind_processor(sqlite.dialect())


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

    def work(conn: sqlite3.Connection) -> tuple[bool, list[tuple[Any, ...]]]:
        def known() -> bool:
            found = conn.execute(SQLITE_USER_EXISTS, (partner_id, user_id)).fetchone()
            return found is not None

        if page is None:
            rows = conn.execute(SQLITE_HELD_ALL, (partner_id, user_id)).fetchall()
            return (True if rows else known()), rows
        if not known():
            return False, []
        limit, after = page
        if after is None:
            return True, conn.execute(
                SQLITE_HELD_FIRST_PAGE, (partner_id, user_id, limit)
            ).fetchall()
        stored = _bind_stored_time(after[0])
        params = (partner_id, user_id, stored, stored, after[1], limit)
        return True, conn.execute(SQLITE_HELD_PAGE_AFTER, params).fetchall()

    (user_known, rows), token = await db.sqlite_read(work)
    return HeldItems(user_known, _sqlite_items(rows), token)


async def _postgres_held(
    db: Database,
    partner_id: int,
    user_id: str,
    page: tuple[int, tuple[datetime, str] | None] | None,
) -> HeldItems:
    if page is None:
        records = await db.postgres_fetch(PG_HELD_ALL, partner_id, user_id)
    elif page[1] is None:
        records = await db.postgres_fetch(PG_HELD_FIRST_PAGE, partner_id, user_id, page[0])
    else:
        limit, (purchased_at, card_id) = page[0], page[1]
        records = await db.postgres_fetch(
            PG_HELD_PAGE_AFTER, partner_id, user_id, limit, purchased_at, card_id
        )
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
