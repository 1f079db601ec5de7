"""SQLite's write queue (`Database.transaction(..., inline=True)`): the writes queued together
run back to back in one task and share a commit, yet each stands or falls alone, is committed
before its caller hears of it, and is left out if its caller gave up before it began."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.engine import Database
from clawvault.settings import Settings

Main = Callable[[Database, Database], Awaitable[Any]]


def _run(tmp_path: Path, main: Main) -> Any:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")

    async def with_databases() -> Any:
        db, observer = Database(url, settings), Database(url, settings)
        try:
            async with db.write() as conn:
                await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            return await main(db, observer)
        finally:
            await db.dispose()
            await observer.dispose()

    return asyncio.run(with_databases())


async def _stored(observer: Database) -> set[int]:
    async with observer.read() as conn:
        return {row[0] for row in await conn.execute(text("SELECT x FROM t"))}


def _insert(x: int, *, then: Callable[[AsyncConnection], Awaitable[None]] | None = None) -> Any:
    async def work(conn: AsyncConnection) -> int:
        await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
        if then is not None:
            await then(conn)
        return x

    return work


def test_queued_writes_run_back_to_back_share_a_commit_and_fail_alone(tmp_path: Path) -> None:
    async def main(db: Database, observer: Database) -> None:
        commits: list[int] = []
        event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
        ticks: list[int] = []
        order: list[tuple[str, int]] = []

        async def ticker() -> None:  # counts trips through the event loop
            while True:
                ticks.append(1)
                await asyncio.sleep(0)

        async def fail(_conn: AsyncConnection) -> None:
            raise ValueError("refused")

        async def write(x: int) -> int:
            async def noted(conn: AsyncConnection) -> None:
                order.append(("ran", len(ticks)))

            work = _insert(x, then=fail if x % 3 == 0 else noted)
            result: int = await db.transaction(work, attempts=1, inline=True)
            # Acknowledged means committed: another connection sees it.
            assert x in await _stored(observer)
            return result

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        results = await asyncio.gather(*(write(x) for x in range(30)), return_exceptions=True)
        ticking.cancel()
        for x, result in enumerate(results):
            if x % 3 == 0:
                assert isinstance(result, ValueError)
            else:
                assert result == x
        assert await _stored(observer) == {x for x in range(30) if x % 3}
        assert len(commits) == 1  # all 30 were queued before the first began
        assert len({tick for _ran, tick in order}) == 1  # no trip through the loop between

    _run(tmp_path, main)


def test_a_write_whose_caller_gave_up_before_it_began_never_runs(tmp_path: Path) -> None:
    async def main(db: Database, observer: Database) -> None:
        async with db.write() as conn:  # holds the writer: the queued writes wait
            await conn.execute(text("INSERT INTO t (x) VALUES (1)"))
            given_up = asyncio.create_task(db.transaction(_insert(2), inline=True))
            kept = asyncio.create_task(db.transaction(_insert(3), inline=True))
            await asyncio.sleep(0.01)
            given_up.cancel()
        assert await kept == 3
        assert given_up.cancelled()
        assert await _stored(observer) == {1, 3}

    _run(tmp_path, main)


def test_a_lost_batch_fails_the_writes_that_ran_and_the_rest_run_in_the_next(
    tmp_path: Path,
) -> None:
    async def main(db: Database, observer: Database) -> list[Any]:
        async def end_the_transaction(conn: AsyncConnection) -> None:
            # Ends the shared transaction under the batch: its savepoint is gone.
            await conn.exec_driver_sql("ROLLBACK")

        writes = [
            db.transaction(_insert(1), attempts=1, inline=True),
            db.transaction(_insert(2, then=end_the_transaction), attempts=1, inline=True),
            db.transaction(_insert(3), attempts=1, inline=True),
        ]
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert await _stored(observer) == {3}
        return results

    first, second, third = _run(tmp_path, main)
    assert isinstance(first, Exception)  # ran, but its batch never committed
    assert isinstance(second, Exception)
    assert third == 3  # not begun when the batch was lost: run and committed in the next
