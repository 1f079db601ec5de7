"""Engines and units of work for SQLite (embedded default) and PostgreSQL.

SQLite: WAL mode; every write transaction starts with BEGIN IMMEDIATE (so two writers never
deadlock on a lock upgrade) behind a per-process lock, with a busy timeout for other processes.
Reads use a second engine whose transactions start deferred, so they never wait for a writer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from clawvault.settings import Settings

T = TypeVar("T")

# Work that must commit with every write transaction of the current request (the idempotency
# record's "effects applied" mark). It is given the database and the connection.
BeforeCommit = Callable[["Database", AsyncConnection], Awaitable[None]]
BEFORE_COMMIT: ContextVar[BeforeCommit | None] = ContextVar("before_commit", default=None)


def async_url(url: str) -> str:
    """Accept plain sqlite:/// and postgresql:// URLs and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def backend_name(url: str) -> str:
    backend = make_url(url).get_backend_name()
    return "postgresql" if backend == "postgres" else backend


def _sqlite_engine(url: str, settings: Settings, begin_sql: str) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=settings.db_pool_size, max_overflow=20, json_deserializer=orjson.loads
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        # The busy timeout first: anything below may wait for another process's write.
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":  # switching needs the write lock
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

    return engine


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


class TransientConflict(Exception):
    """Raised inside `Database.transaction` to have it rolled back and run again: it met
    other transactions' locks that it must not wait for."""


def is_retryable(exc: Exception) -> bool:
    if isinstance(exc, TransientConflict):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES


class Database:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.backend = backend_name(url)
        driver_url = async_url(url)
        self._write_lock: asyncio.Lock | None = None
        if self.backend == "sqlite":
            self.engine = _sqlite_engine(driver_url, settings, "BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(driver_url, settings, "BEGIN")
            self._write_lock = asyncio.Lock()
        else:
            # At most db_pool_size + 20 connections, as SQLite's engines, but all kept open:
            # an overflow connection is closed after each use, and opening one to PostgreSQL
            # (a backend fork, a TLS probe, authentication) per request took ~15% of a busy
            # worker's samples.
            self.engine = create_async_engine(
                driver_url,
                pool_size=settings.db_pool_size + 20,
                max_overflow=0,
                pool_pre_ping=False,
                json_deserializer=orjson.loads,
            )
            self.read_engine = self.engine

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: commits when the block ends, rolls back when it raises."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
                await self._before_commit(conn)
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn
            await self._before_commit(conn)

    async def _before_commit(self, conn: AsyncConnection) -> None:
        hook = BEFORE_COMMIT.get()
        if hook is not None:
            await hook(self, conn)

    async def transaction(
        self, work: Callable[[AsyncConnection], Awaitable[T]], attempts: int = 4
    ) -> T:
        """Runs `work` in one write transaction, again from the start when the database chose
        it as the victim of a deadlock or a serialization conflict (nothing of a failed attempt
        stays: it was rolled back)."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.write() as conn:
                    return await work(conn)
            except (DBAPIError, TransientConflict) as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                await asyncio.sleep(random.uniform(0.001, 0.02) * attempt)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
