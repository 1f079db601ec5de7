"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_ignoring_conflicts(
    conn: AsyncConnection, table: Table, values: dict[str, Any] | list[dict[str, Any]]
) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(postgresql.insert(table).values(values).on_conflict_do_nothing())
    else:
        await conn.execute(sqlite.insert(table).values(values).on_conflict_do_nothing())


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


# pg_advisory_xact_lock key of one-time setup (schema migrations, the demo seed).
SETUP_LOCK_KEY = 0x636C6177  # "claw"


async def serialize_setup(conn: AsyncConnection) -> None:
    """Makes one-time setup run by one process at a time, until this transaction ends.
    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions already start
    with BEGIN IMMEDIATE, which serializes them."""
    if is_postgres(conn):
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})
