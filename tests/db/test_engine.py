"""SQLite group commit: writes that queue up share a commit, yet each stands or falls alone and
is committed before its block returns."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from clawvault.db.engine import Database
from clawvault.db.sqlite_writer import FileLock
from clawvault.settings import Settings


def test_queued_sqlite_writes_share_commits_and_fail_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'group.db'}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")
    db, observer = Database(url, settings), Database(url, settings)
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))

    async def visible(x: int) -> bool:
        async with observer.read() as conn:
            found = await conn.execute(text("SELECT 1 FROM t WHERE x = :x"), {"x": x})
            return found.first() is not None

    async def write(x: int) -> bool:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
            await asyncio.sleep(0)  # let the others queue up behind this one
            if x % 3 == 0:
                raise ValueError(x)
        return await visible(x)  # acknowledged means committed: another connection sees it

    async def main() -> tuple[list[bool | BaseException], set[int]]:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        commits.clear()
        results = await asyncio.gather(*(write(x) for x in range(30)), return_exceptions=True)
        async with observer.read() as conn:
            stored = {row[0] for row in await conn.execute(text("SELECT x FROM t"))}
        await db.dispose()
        await observer.dispose()
        return results, stored

    results, stored = asyncio.run(main())
    assert stored == {x for x in range(30) if x % 3}
    for x, result in enumerate(results):
        if x % 3 == 0:
            assert isinstance(result, ValueError)
        else:
            assert result is True
    assert 0 < len(commits) < 20  # 20 successful writes, fewer commits


def test_a_cancelled_wait_for_the_writer_lock_never_releases_a_later_holders_lock(
    tmp_path: Path,
) -> None:
    """Another process holds the writer lock; one of our batches gives up waiting (cancelled),
    the next batch waits and gets it. The abandoned wait must not take the lock away from it."""
    path = str(tmp_path / "db.writer-lock")
    lock = FileLock(path)

    def free() -> bool:  # what another process would see
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # also gives back a lock it got
        return True

    async def main() -> None:
        other = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(other, fcntl.LOCK_EX)
        abandoned = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0.05)
        abandoned.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await abandoned
        later = asyncio.create_task(lock.acquire())
        await asyncio.sleep(0.05)
        os.close(other)  # the other process lets go
        await asyncio.wait_for(later, 5)
        await asyncio.sleep(0.2)  # time for the abandoned wait's thread to finish and clean up
        assert not free(), "the batch that took the lock no longer holds it"
        lock.release()
        for _ in range(50):  # the abandoned wait gives its lock back once it got it
            if free():
                break
            await asyncio.sleep(0.02)
        assert free()

    asyncio.run(main())


def test_a_write_cancelled_while_its_statement_runs_stays_cancelled(tmp_path: Path) -> None:
    """A background loop cancelled at shutdown must see CancelledError, whatever the rollback of
    its savepoint meets (SQLAlchemy closes a connection whose statement was cancelled): a loop
    that took it for a database hiccup went on sleeping and the shutdown waited for it."""
    url = f"sqlite:///{tmp_path / 'cancel.db'}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")
    slow = (
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000000) "
        "SELECT count(*) FROM c"
    )

    async def main() -> None:
        db = Database(url, settings)
        try:
            async with db.write() as conn:
                await conn.execute(text("CREATE TABLE t (x INTEGER)"))

            async def long_write() -> None:
                async with db.write() as conn:  # not inline: the statement runs on a thread
                    await conn.execute(text("INSERT INTO t VALUES (1)"))
                    await conn.execute(text(slow))

            task = asyncio.create_task(long_write())
            await asyncio.sleep(0.2)
            task.cancel()
            outcome = (await asyncio.gather(task, return_exceptions=True))[0]
            assert isinstance(outcome, asyncio.CancelledError), repr(outcome)
            async with db.write() as conn:  # the database still takes writes
                await conn.execute(text("INSERT INTO t VALUES (2)"))
            async with db.read() as conn:
                assert list((await conn.execute(text("SELECT x FROM t"))).scalars()) == [2]
        finally:
            await db.dispose()

    asyncio.run(main())


def test_a_connect_cancelled_at_shutdown_leaves_no_driver_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A background loop cancelled while the pool opens a connection for it (the app's shutdown):
    the connection is opened and closed before the loop stops (aiosqlite, which the SQLite pool
    used before its connections were our own, left its thread opening it, which then called
    back into the closed loop: "Event loop is closed")."""
    url = f"sqlite:///{tmp_path / 'connect.db'}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")
    opening = threading.Event()
    real_connect = sqlite3.connect

    def slow_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opening.set()
        time.sleep(0.3)  # the loop has stopped long before, unless the shutdown waits
        return real_connect(*args, **kwargs)

    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    monkeypatch.setattr(sqlite3, "connect", slow_connect)
    before = set(threading.enumerate())

    async def main() -> None:
        db = Database(url, settings)

        async def read() -> None:
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))

        task = asyncio.create_task(read())
        await asyncio.to_thread(opening.wait, 5)
        task.cancel()
        outcome = (await asyncio.gather(task, return_exceptions=True))[0]
        assert isinstance(outcome, asyncio.CancelledError), repr(outcome)
        await db.dispose()

    asyncio.run(main())
    for thread in set(threading.enumerate()) - before:
        thread.join(5)
    assert failures == []
