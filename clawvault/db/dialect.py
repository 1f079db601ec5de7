"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Executable, Table, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute

from clawvault.db import lean
from clawvault.db.conn import Conn


@cache
def _insert_ignoring_conflicts(table: Table, dialect_name: str) -> Executable:
    # One statement per table and dialect, the values passed as parameters: building it per
    # call cost more CPU than running it.
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def insert_ignoring_conflicts(
    conn: Conn, table: Table, values: dict[str, Any] | list[dict[str, Any]]
) -> None:
    await lean.execute(conn, _insert_ignoring_conflicts(table, conn.dialect.name), values)


def unindexed(column: QueryableAttribute[Any] | ColumnElement[Any]) -> ColumnElement[Any]:
    """`column`'s value in a form no index serves (COALESCE(c, c)), for the conditions that
    only check a row found by its primary key. PostgreSQL's planner otherwise weighs an index
    on such a column against the key when its statistics say no row has the value (cards
    'held' when the last ANALYZE saw none, before autovacuum's next one): both look like one
    row, and it took the other index, walking every held card (a sellback's lookup removed
    30,162 rows by filter, 23 ms alone and ~750 ms under load, against 0.1 ms by key)."""
    return func.coalesce(column, column)


def is_postgres(conn: Conn) -> bool:
    return conn.dialect.name == "postgresql"


# pg_advisory_xact_lock key of one-time setup (schema migrations, the demo seed).
SETUP_LOCK_KEY = 0x636C6177  # "claw"


async def serialize_setup(conn: Conn) -> None:
    """Makes one-time setup run by one process at a time, until this transaction ends.
    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions already start
    with BEGIN IMMEDIATE, which serializes them."""
    if is_postgres(conn):
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})
