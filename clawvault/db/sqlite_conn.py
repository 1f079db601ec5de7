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
- `SqliteEngine` keeps a pool of them, opened on demand up to its size, with a SQLAlchemy sync
  `Engine` (`sync_engine`: its "begin" and "commit" events fire as usual) that opens each
  sqlite3 connection through our `creator`, with the PRAGMAs below.

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
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, TypeVarTuple, overload

from sqlalchemy import NullPool, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, make_url
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
        if self.runs_inline():
            return sync.execute(statement, parameters)
        return await self.worker.run(lambda: sync.execute(statement, parameters))

    async def exec_driver_sql(
        self, statement: str, parameters: DriverParams | None = None
    ) -> CursorResult[*tuple[Any, ...]]:
        sync = self.sync_connection
        if self.runs_inline():
            return sync.exec_driver_sql(statement, parameters)
        return await self.worker.run(lambda: sync.exec_driver_sql(statement, parameters))

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on this connection's thread (after what was handed to it before)."""
        return await self.worker.run(work)

    async def commit(self) -> None:
        await self.worker.run(self.sync_connection.commit)

    async def rollback(self) -> None:
        await self.worker.run(self.sync_connection.rollback)


def _open_sqlite(
    database: str | None,
    busy_timeout_ms: int,
    synchronous: str,
    autocheckpoint_pages: int | None,
) -> sqlite3.Connection:
    if not database or database == ":memory:":
        conn = sqlite3.connect(
            ":memory:", isolation_level=None, check_same_thread=False, factory=BufferingConnection
        )
    else:
        conn = sqlite3.connect(
            database,
            uri=database.startswith("file:"),
            isolation_level=None,  # we emit BEGIN ourselves
            check_same_thread=False,
            factory=BufferingConnection,
        )
    try:
        # The busy timeout first: anything below may wait for another process's write.
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")  # switching needs the write lock
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        if autocheckpoint_pages is not None:
            conn.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint_pages)}")
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteEngine:
    """A pool of up to `size` `SqliteConnection`s to one database, opened when first needed
    and kept open (no overflow: opening one costs a thread, a file open and five PRAGMAs, and
    each holds its own page cache), each transaction begun with `begin_sql`."""

    def __init__(
        self,
        url: str,
        *,
        size: int,
        begin_sql: str,
        busy_timeout_ms: int,
        synchronous: str,
        autocheckpoint_pages: int | None = None,
        json_serializer: Callable[[Any], str] | None = None,
        json_deserializer: Callable[[Any], Any] | None = None,
        name: str = "clawvault-sqlite",
    ) -> None:
        parsed = make_url(url).set(drivername="sqlite+pysqlite")
        database = parsed.database

        def creator() -> sqlite3.Connection:
            return _open_sqlite(database, busy_timeout_ms, synchronous, autocheckpoint_pages)

        options: dict[str, Any] = {}
        if json_serializer is not None:
            options["json_serializer"] = json_serializer
        if json_deserializer is not None:
            options["json_deserializer"] = json_deserializer
        # NullPool: the pool is ours (below); SQLAlchemy's only opens and closes.
        self.sync_engine: Engine = create_engine(
            parsed, creator=creator, poolclass=NullPool, **options
        )

        @event.listens_for(self.sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin_sql)

        self.dialect: Dialect = self.sync_engine.dialect
        self.size = size
        self.name = name
        self.idle: list[SqliteConnection] = []
        self.counted = 0  # connections open, being opened, or handed out
        self.waiting: deque[asyncio.Future[SqliteConnection | None]] = deque()
        # Connections opened before a `dispose` are closed when given back.
        self.generation = 0

    async def acquire(self) -> SqliteConnection:
        """A connection of the pool (opened if none is idle and the pool is not full; else the
        next one given back). Give it back with `release`."""
        while True:
            if self.idle:
                return self.idle.pop()
            if self.counted < self.size:
                return await self._open_counted()
            waiter: asyncio.Future[SqliteConnection | None]
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                given = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    handed = waiter.result()  # given to us as we were cancelled: pass it on
                    if handed is None:
                        self._free_a_place(counted=False)
                    else:
                        self.release(handed)
                else:
                    with contextlib.suppress(ValueError):
                        self.waiting.remove(waiter)
                raise
            if given is not None:
                return given
            return await self._open_counted()  # a place was freed (a connection closed)

    async def _open_counted(self) -> SqliteConnection:
        self.counted += 1
        try:
            return await self._open()
        except BaseException:
            self._free_a_place()
            raise

    def _free_a_place(self, *, counted: bool = True) -> None:
        if counted:
            self.counted -= 1
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _open(self) -> SqliteConnection:
        worker = Worker(self.name)
        opening = asyncio.ensure_future(worker.run(self.sync_engine.connect))
        try:
            sync = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # The thread goes on opening: the connection is closed once open, and the thread
            # ends, before the cancellation goes on (the event loop may close right after it).
            try:
                with contextlib.suppress(Exception):
                    worker.post((await opening).close)
            finally:
                worker.stop()
            raise
        except BaseException:
            worker.stop()
            raise
        conn = SqliteConnection(sync, worker)
        conn.generation = self.generation
        return conn

    def release(self, conn: SqliteConnection) -> None:
        """Gives `conn` back to the pool (closed instead if it broke, or the pool was disposed
        of since it was opened). Its thread runs whatever was handed to it before the next
        holder's statements."""
        conn.inline = False
        if conn.broken or conn.generation != self.generation:
            self._close(conn)
            if conn.generation == self.generation:
                self._free_a_place()
            return
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    @staticmethod
    def _close(conn: SqliteConnection) -> None:
        sync = conn.sync_connection
        broken = conn.broken

        def close() -> None:
            with contextlib.suppress(Exception):
                if broken:
                    sync.invalidate()
                else:
                    sync.close()

        conn.worker.post(close)
        conn.worker.stop()

    async def finish(self, conn: SqliteConnection, *, commit: bool) -> None:
        """Ends `conn`'s transaction, if one is open (commit or rollback), on its thread."""
        sync = conn.sync_connection

        def end() -> None:
            if sync.in_transaction():
                if commit:
                    sync.commit()
                else:
                    sync.rollback()

        try:
            await conn.worker.run(end)
        except Exception:
            conn.broken = True
            raise

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[SqliteConnection]:
        """A connection for the block; a transaction it left open is rolled back."""
        conn = await self.acquire()
        try:
            yield conn
        finally:
            self.release_after_rollback(conn)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[SqliteConnection]:
        """A connection for the block, in a transaction begun at its first statement: committed
        when the block ends, rolled back when it raises."""
        conn = await self.acquire()
        try:
            yield conn
            await self.finish(conn, commit=True)
        except BaseException:
            self.release_after_rollback(conn)
            raise
        self.release(conn)  # its transaction has ended

    def release_after_rollback(self, conn: SqliteConnection) -> None:
        """Rolls back what `conn` left open and gives it back at once. While its thread still
        runs something (a statement of a cancelled holder), the rollback is queued there behind
        it, and the next holder's statements behind the rollback."""
        sync = conn.sync_connection

        def end() -> None:
            try:
                if sync.in_transaction():
                    sync.rollback()
            except Exception:
                conn.broken = True  # closed when next given back, never handed out again

        if not conn.broken and not (conn.worker.idle() and not sync.in_transaction()):
            conn.worker.post(end)
        self.release(conn)

    async def dispose(self) -> None:
        """Closes the idle connections, and the others as they are given back."""
        self.generation += 1
        idle, self.idle = self.idle, []
        self.counted = 0
        for conn in idle:
            self._close(conn)
        while self.waiting:  # they may open new ones
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
        for conn in idle:  # their threads close them and end
            await asyncio.to_thread(conn.worker.thread.join, 5)
        self.sync_engine.dispose()
