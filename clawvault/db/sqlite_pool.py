"""A pool of SQLite connections of our own (`sqlite_conn.SqliteConnection`), opened on demand up
to its size, with a SQLAlchemy sync `Engine` (`sync_engine`: its "begin" and "commit" events
fire as usual) that opens each sqlite3 connection through our `creator`, with the PRAGMAs
below."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import NullPool, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url

from clawvault.db.sqlite_conn import BufferingConnection, SqliteConnection, Worker


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
        self._hand_over(None)

    def _hand_over(self, given: SqliteConnection | None) -> bool:
        """Gives the first task still waiting for a connection `given` (None: a place to open
        one in); False when no one waits."""
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(given)
                return True
        return False

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
        if not self._hand_over(conn):
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
        while self._hand_over(None):  # they may open new ones
            pass
        for conn in idle:  # their threads close them and end
            await asyncio.to_thread(conn.worker.thread.join, 5)
        self.sync_engine.dispose()
