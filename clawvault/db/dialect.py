"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
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
