"""SQLite's connections of our own (`db.sqlite_conn`): a pool of stdlib sqlite3 connections,
each with its own thread, SQLAlchemy's sync API on them behind an async facade."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from clawvault.db.sqlite_conn import SqliteConnection
from clawvault.db.sqlite_pool import SqliteEngine

SLOW = (
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) "
    "SELECT count(*) FROM c"
)


def _run(tmp_path: Path, main: Callable[[SqliteEngine], Awaitable[Any]], size: int = 2) -> Any:
    engine = SqliteEngine(
        f"sqlite:///{tmp_path / 'conn.db'}",
        size=size,
        begin_sql="BEGIN",
        busy_timeout_ms=5000,
        synchronous="NORMAL",
        name="test-sqlite",
    )

    async def with_engine() -> Any:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO t (x) VALUES (1), (2), (3)"))
        try:
            return await main(engine)
        finally:
            await engine.dispose()

    return asyncio.run(with_engine())


def test_the_pool_opens_at_most_its_size_and_every_holder_gets_a_turn(tmp_path: Path) -> None:
    async def main(engine: SqliteEngine) -> tuple[set[int], list[int]]:
        seen: set[int] = set()

        async def hold(x: int) -> int:
            async with engine.begin() as conn:
                seen.add(id(conn))
                found = await conn.execute(text("SELECT count(*) FROM t WHERE x <= :x"), {"x": x})
                await asyncio.sleep(0.01)
                return int(found.scalar_one())

        counts = await asyncio.gather(*(hold(x) for x in range(1, 9)))
        return seen, list(counts)

    seen, counts = _run(tmp_path, main)
    assert len(seen) == 2
    assert counts == [1, 2, 3, 3, 3, 3, 3, 3]


def test_rows_are_fetched_with_the_statement_and_read_on_the_loop_thread(tmp_path: Path) -> None:
    async def main(engine: SqliteEngine) -> tuple[list[int], int, int]:
        async with engine.begin() as conn:
            rows = await conn.execute(text("SELECT x FROM t ORDER BY x"))
            # Another statement between: the first one's rows were all fetched already.
            updated = await conn.execute(text("UPDATE t SET x = x + 10 WHERE x > 1"))
            first = [row[0] for row in rows]
            deleted = await conn.execute(text("DELETE FROM t WHERE x > 10"))
            return first, updated.rowcount, deleted.rowcount

    assert _run(tmp_path, main) == ([1, 2, 3], 2, 2)


def test_a_cancelled_holders_statement_ends_before_the_next_holders_begin(
    tmp_path: Path,
) -> None:
    """One connection: the next holder gets it at once, its statements queue on the
    connection's thread behind the cancelled one's and its rollback."""

    async def main(engine: SqliteEngine) -> tuple[Any, list[int]]:
        async def slow() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (x) VALUES (4)"))
                await conn.execute(text(SLOW))

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.1)
        task.cancel()
        outcome = (await asyncio.gather(task, return_exceptions=True))[0]
        async with engine.begin() as conn:
            stored = [x for (x,) in await conn.execute(text("SELECT x FROM t ORDER BY x"))]
        return outcome, stored

    outcome, stored = _run(tmp_path, main, size=1)
    assert isinstance(outcome, asyncio.CancelledError)
    assert stored == [1, 2, 3]  # the cancelled insert was rolled back


def test_inline_statements_run_on_the_calling_thread(tmp_path: Path) -> None:
    async def main(engine: SqliteEngine) -> tuple[str, str]:
        conn: SqliteConnection = await engine.acquire()
        try:
            on = lambda: threading.current_thread().name  # noqa: E731
            conn.sync_connection.connection.driver_connection.create_function(  # type: ignore[union-attr]
                "thread_name", 0, on
            )
            handed = (await conn.execute(text("SELECT thread_name()"))).scalar_one()
            conn.inline = True
            inline = (await conn.execute(text("SELECT thread_name()"))).scalar_one()
            return handed, inline
        finally:
            engine.release_after_rollback(conn)

    handed, inline = _run(tmp_path, main)
    assert handed == "test-sqlite"
    assert inline == threading.current_thread().name


def test_dispose_closes_the_connections_and_ends_their_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())

    async def main(engine: SqliteEngine) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))

    _run(tmp_path, main)
    left = [t for t in set(threading.enumerate()) - before if t.name == "test-sqlite"]
    for thread in left:
        thread.join(5)
    assert not any(t.is_alive() for t in left)
