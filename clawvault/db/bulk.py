"""Bulk inserts for large imports (a million cards): the driver's fastest path, bypassing
per-row statement compilation. SQLite: one prepared INSERT run by executemany; PostgreSQL:
COPY. Both run inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _converters(conn: Conn, table: Table, columns: Sequence[str]) -> list[Any]:
    """Per column, what turns a Python value into what the driver stores (the same bind
    processors SQLAlchemy uses, so stored values read back exactly as usual)."""
    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            converters.append(_json_text)
        elif is_postgres(conn):
            converters.append(None)
        else:
            converters.append(column_type.bind_processor(conn.dialect))
    return converters


async def bulk_insert(
    conn: Conn, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    converters = _converters(conn, table, columns)
    records = [
        tuple(
            value if convert is None else convert(value)
            for convert, value in zip(converters, (row[name] for name in columns), strict=True)
        )
        for row in rows
    ]
    if is_postgres(conn):
        assert isinstance(conn, AsyncConnection)
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=records, columns=list(columns))
        return
    placeholders = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{name}"' for name in columns)
    await conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", records
    )
