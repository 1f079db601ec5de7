"""SQLite connections of our own: each a stdlib sqlite3 connection with a thread of its own,
SQLAlchemy running on it through its public sync API, behind a small async facade.

aiosqlite gives no public handle on its sqlite3 connection or its thread, and the write path
needs both: the writer's short writes run their statements on the event loop's thread while
they hold the write lock (nothing to wait for there), and every other statement makes one
hand-over to the connection's thread (SQLAlchemy's aiosqlite adapter made four: open a cursor,
execute, fetch, close). So:

- `SqliteConnection` (what repositories get on SQLite, as they get SQLAlchemy's
  AsyncConnection on PostgreSQL: both are a `db.conn.Conn`) runs each statement with
  SQLAlchemy's sync `Connection.execute`, on its own thread (`Worker`) in one job, or, while it
  holds the write lock (`inline`, set by sqlite_writer), right on the calling thread.
- Its sqlite3 connection hands SQLAlchemy `BufferedCursor`s: a statement's rows are all fetched
  in the job that runs it, so the result the caller gets back reads them without going back to
  the thread (as SQLAlchemy's aiosqlite adapter buffered them too).
- `sqlite_pool.SqliteEngine` keeps a pool of them.

Also `connect_existing`: the plain sqlite3 connection of a process's helpers beside the engines
(the data_version probe, the WAL checkpointer).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, TypeVarTuple, overload

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]
DriverParams = Sequence[Any] | Mapping[str, Any]


def connect_existing(path: str) -> sqlite3.Connection:
    """A sqlite3 connection to the database file at `path`, which it never creates (mode=rw),
    in autocommit, usable from any thread, with no busy timeout: a caller that meets a lock
    does without (skips its turn) rather than wait."""
    return sqlite3.connect(
        f"file:{urllib.parse.quote(path)}?mode=rw",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=0,
    )


class BufferedCursor(sqlite3.Cursor):
    """A sqlite3 cursor whose statement has run to its end when `execute` returns: its rows are
    fetched then, on the connection's thread, and read from here afterwards on any thread."""

    buffered: Iterator[Any] = iter(())

    def execute(self, sql: str, parameters: Any = (), /) -> BufferedCursor:
        super().execute(sql, parameters)
        self.buffered = iter(super().fetchall() if self.description is not None else ())
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> BufferedCursor:
        super().executemany(sql, seq_of_parameters)
        self.buffered = iter(())
        return self

    def fetchone(self) -> Any:
        return next(self.buffered, None)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return list(itertools.islice(self.buffered, self.arraysize if size is None else size))

    def fetchall(self) -> list[Any]:
        return list(self.buffered)


class BufferingConnection(sqlite3.Connection):
    """A sqlite3 connection whose cursors are `BufferedCursor`s (what SQLAlchemy asks for)."""

    def cursor(self, factory: Any = BufferedCursor) -> Any:
        return super().cursor(factory)


class Worker:
    """One thread of our own, running the jobs handed to it one after another, in order: a
    statement handed over after another on the same connection runs after it, even when the
    task that waited for the first was cancelled meanwhile. A daemon thread: one stuck in a
    statement never holds up the interpreter's exit."""

    def __init__(self, name: str) -> None:
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Jobs handed over (counted by the event loop's thread) and jobs run (by this thread):
        # each count written by one thread only.
        self.handed = 0
        self.ran = 0
        self.thread = threading.Thread(target=self.serve, name=name, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            loop, future, work = job
            error: BaseException | None = None
            result: Any = None
            try:
                result = work()
            except BaseException as exc:
                error = exc
            self.ran += 1
            if loop is None:
                continue  # posted: no one waits for it
            # RuntimeError: the event loop has closed, no one waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.answer, future, result, error)

    def idle(self) -> bool:
        """Whether every job handed over has run (the thread does not touch the connection)."""
        return self.ran == self.handed

    @staticmethod
    def answer(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        if future.cancelled():
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` run on this thread, once the jobs handed over before it have run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.handed += 1
        self.jobs.put((loop, future, work))
        return await future

    def post(self, work: Callable[[], Any]) -> None:
        """`work()` run on this thread after the jobs before it; no one waits for it."""
        self.handed += 1
        self.jobs.put((None, None, work))

    def stop(self) -> None:
        """The thread ends once the jobs handed over before this have run."""
        self.jobs.put(None)


class SqliteConnection:
    """What a repository is given on SQLite: statements run by SQLAlchemy's sync Connection
    (`sync_connection`), on the connection's own thread (`worker`) in one hand-over each, or on
    the calling thread while `inline` (set only by the writer, holding the write lock, when the
    thread has nothing left to run). `raw` is the sqlite3 connection itself."""

    def __init__(self, sync_connection: Connection, worker: Worker) -> None:
        self.sync_connection = sync_connection
        self.worker = worker
        self.dialect: Dialect = sync_connection.dialect
        raw = sync_connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        self.raw: sqlite3.Connection = raw
        self.inline = False
        self.generation = 0  # the pool's, when it was opened
        self.broken = False  # its transaction could not be ended: closed, never reused

    def runs_inline(self) -> bool:
        """Whether a statement now runs on the calling thread (no job of the thread pending)."""
        return self.inline and self.worker.idle()

    @overload
    async def execute(
        self, statement: TypedReturnsRows[*Ts], parameters: Params | None = None
    ) -> CursorResult[*Ts]: ...

    @overload
    async def execute(
        self, statement: Executable, parameters: Params | None = None
    ) -> CursorResult[*tuple[Any, ...]]: ...

    async def execute(
        self, statement: Executable, parameters: Params | None = None
    ) -> CursorResult[*tuple[Any, ...]]:
        sync = self.sync_connection
        return await self.statement(lambda: sync.execute(statement, parameters))

    async def exec_driver_sql(
        self, statement: str, parameters: DriverParams | None = None
    ) -> CursorResult[*tuple[Any, ...]]:
        sync = self.sync_connection
        return await self.statement(lambda: sync.exec_driver_sql(statement, parameters))

    async def statement(self, work: Callable[[], T]) -> T:
        """`work()`, a statement: on the calling thread while the connection runs inline, else
        in one hand-over to its thread."""
        if self.runs_inline():
            return work()
        return await self.worker.run(work)

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on this connection's thread (after what was handed to it before)."""
        return await self.worker.run(work)

    async def commit(self) -> None:
        await self.worker.run(self.sync_connection.commit)

    async def rollback(self) -> None:
        await self.worker.run(self.sync_connection.rollback)
