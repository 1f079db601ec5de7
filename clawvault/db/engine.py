"""Engines and units of work for SQLite (embedded default) and PostgreSQL.

SQLite: WAL mode; every write transaction starts with BEGIN IMMEDIATE (so two writers never
deadlock on a lock upgrade) behind a per-process lock, with a busy timeout for other processes.
Writers that queue up behind that lock share one commit (group commit, see `SqliteWriter`).
Reads use a second engine whose transactions start deferred, so they never wait for a writer.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import Executable, RowMapping, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from clawvault.db.conn import Conn
from clawvault.db.shared_probe import SharedProbe
from clawvault.db.sqlite_checkpoint import WRITER_AUTOCHECKPOINT_PAGES, WalCheckpointer
from clawvault.db.sqlite_pool import SqliteEngine
from clawvault.db.sqlite_probe import SqliteVersionProbe
from clawvault.db.sqlite_writer import SqliteWriter
from clawvault.settings import Settings

T = TypeVar("T")


def async_url(url: str) -> str:
    """Accept plain sqlite:/// and postgresql:// URLs and pick the async driver (the app's
    PostgreSQL engine, and the migrations' engine on either database; the app's SQLite
    connections are `sqlite_conn`'s)."""
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


def json_text(value: Any) -> str:
    """The text of a JSON column's value: orjson's (compact; keys that are not strings made
    strings, as json.dumps makes them), ~5x faster than json.dumps, which a quote's three JSON
    columns spent ~2% of a busy worker's samples in, inside SQLite's write lock."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_engine(
    url: str,
    settings: Settings,
    begin_sql: str,
    pool_size: int,
    name: str,
    autocheckpoint_pages: int | None = None,
) -> SqliteEngine:
    # No overflow: each kept connection holds its own page cache (up to 2 MiB) and thread.
    return SqliteEngine(
        url,
        size=pool_size,
        begin_sql=begin_sql,
        busy_timeout_ms=int(settings.sqlite_busy_timeout_ms),
        synchronous=settings.sqlite_synchronous,
        autocheckpoint_pages=autocheckpoint_pages,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
        name=name,
    )


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


SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text"


def _in_read_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN")
    try:
        return work(conn)
    finally:
        conn.execute("ROLLBACK")


class Database:
    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.backend = backend_name(url)
        self._writer: SqliteWriter | None = None
        self._probe: SqliteVersionProbe | None = None
        self._snapshots = SharedProbe(self._snapshot)
        self._checkpointer: WalCheckpointer | None = None
        self._postgres: AsyncEngine | None = None
        self._sqlite_reads: SqliteEngine | None = None
        self.engine: AsyncEngine | SqliteEngine
        self.read_engine: AsyncEngine | SqliteEngine
        if self.backend == "sqlite":
            path = make_url(url).database
            in_memory = not path or path == ":memory:" or path.startswith("file:")
            # Writes of a process run one at a time (group commit: one shared connection),
            # their commits leaving the WAL's checkpoints to a thread (sqlite_checkpoint).
            writes = _sqlite_engine(
                url,
                settings,
                "BEGIN IMMEDIATE",
                2,
                "clawvault-sqlite-writer",
                autocheckpoint_pages=None if in_memory else WRITER_AUTOCHECKPOINT_PAGES,
            )
            # Read connections are given back with no transaction open: `read` ends its own,
            # and `sqlite_read` rolls its back in the same hand-over to the connection's thread.
            self._sqlite_reads = _sqlite_engine(
                url, settings, "BEGIN", settings.db_pool_size, "clawvault-sqlite-reader"
            )
            self.engine, self.read_engine = writes, self._sqlite_reads
            self._writer = SqliteWriter(writes, None if in_memory else path)
            if not in_memory:
                assert path is not None
                self._probe = SqliteVersionProbe(path)
                self._checkpointer = WalCheckpointer(path, settings.sqlite_synchronous)
                self._checkpointer.start()
        else:
            # At most db_pool_size + 20 connections, as SQLite's engines, but all kept open:
            # an overflow connection is closed after each use, and opening one to PostgreSQL
            # (a backend fork, a TLS probe, authentication) per request took ~15% of a busy
            # worker's samples.
            self._postgres = create_async_engine(
                async_url(url),
                pool_size=settings.db_pool_size + 20,
                max_overflow=0,
                pool_pre_ping=False,
                json_deserializer=orjson.loads,
                json_serializer=json_text,
                connect_args={
                    "server_settings": {
                        "plan_cache_mode": settings.pg_plan_cache_mode,
                        "max_parallel_workers_per_gather": str(settings.pg_parallel_workers),
                    }
                },
            )
            self.engine = self.read_engine = self._postgres
        # PostgreSQL's statements each in a transaction of their own (see `autocommit`): the
        # same pool, the connection's isolation level set on checkout and reset on return
        # (attributes of asyncpg's adapter, no round trip).
        self._autocommit_engine = (
            None
            if self._postgres is None
            else self._postgres.execution_options(isolation_level="AUTOCOMMIT")
        )

    @property
    def postgres_engine(self) -> AsyncEngine:
        """PostgreSQL only: the engine."""
        assert self._postgres is not None, "PostgreSQL only"
        return self._postgres

    @property
    def autocommit_engine(self) -> AsyncEngine:
        """PostgreSQL only: the engine whose statements each commit alone."""
        assert self._autocommit_engine is not None, "PostgreSQL only"
        return self._autocommit_engine

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One write transaction: commits when the block ends, rolls back when it raises (the
        short writes of the hot requests: `transaction(..., inline=True)`). For `db.unit.Unit`
        and the database's own upkeep: what a request or a job writes goes through its unit."""
        if self._writer is None:
            async with self.postgres_engine.begin() as conn:
                yield conn
            return
        async with self._writer.write() as conn:  # this block runs in its savepoint
            yield conn

    async def transaction(
        self,
        work: Callable[[Conn], Awaitable[T]],
        attempts: int = 4,
        *,
        inline: bool = False,
    ) -> T:
        """Runs `work` in one write transaction, again from the start when the database chose
        it as the victim of a deadlock or a serialization conflict (nothing of a failed attempt
        stays: it was rolled back).

        `inline` (a short write: a few indexed statements) on SQLite: `work` is run by the
        writer's queue runner (SqliteWriter.run), in its savepoint of the batch, in the
        runner's task."""
        for attempt in range(1, attempts + 1):
            try:
                if inline and self._writer is not None:
                    queued: T = await self._writer.run(work)
                    return queued
                async with self.write() as conn:
                    return await work(conn)
            except (DBAPIError, TransientConflict) as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                await asyncio.sleep(random.uniform(0.001, 0.02) * attempt)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        if self._sqlite_reads is not None:
            async with self._sqlite_reads.begin() as conn:
                yield conn
            return
        async with self.postgres_engine.begin() as pg_conn:
            yield pg_conn

    async def data_version(self) -> Hashable | None:
        """A token of the data a read starting now would see. If an earlier read came with the
        same token (`sqlite_read`'s; on PostgreSQL, `pg_current_snapshot()::text` read in the
        read's own statement or transaction), that read saw exactly this data: every commit
        that has finished by now was in it, and nothing was committed since. None when it
        cannot be told (in-memory SQLite, a probe error)."""
        if self._probe is not None:
            return self._probe.token()
        if not self.is_postgres:
            return None
        return await self._snapshots.token()  # one round trip shared by concurrent askers

    async def _snapshot(self) -> str:
        # A fresh snapshot in autocommit: xmin:xmax:in-progress list. Equal text, equal
        # visibility of every row version (committed or aborted is final once below xmax and
        # outside the in-progress list), so the same data as the read that recorded it.
        async with self.postgres_engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            token: str = await driver.fetchval(SNAPSHOT_SQL)
            return token

    async def sqlite_read(
        self, work: Callable[[sqlite3.Connection], T]
    ) -> tuple[T, Hashable | None]:
        """SQLite only: runs `work` on a pooled read connection, on that connection's thread,
        inside one read transaction (BEGIN ... ROLLBACK, so one snapshot), all in one hand-over
        from the event loop (SQLAlchemy's would take three: BEGIN, the statement, COMMIT).
        Returns what `work` returned and the `data_version` token of the data it saw: taken
        before the transaction's first statement fixes its snapshot, so the snapshot holds
        every commit the token stands for; a commit in between changes the data_version any
        later probe sees, so that token is never matched again."""
        pool = self._sqlite_reads
        assert pool is not None, "sqlite_read is for SQLite"
        token = self._probe.token() if self._probe is not None else None
        conn = await pool.acquire()
        try:
            raw = conn.raw
            result: T = await conn.run(lambda: _in_read_transaction(raw, work))
        finally:
            pool.release(conn)
        return result, token

    async def postgres_fetch(self, sql: str, *args: Any) -> list[Any]:
        """PostgreSQL only: one statement on the asyncpg connection itself, in autocommit (its
        own snapshot), one round trip; asyncpg prepares it once per connection."""
        async with self.postgres_engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            rows: list[Any] = await driver.fetch(sql, *args)
            return rows

    async def autocommit_rows(
        self, statement: Executable, params: dict[str, Any]
    ) -> list[RowMapping]:
        """PostgreSQL only: the rows of one statement that writes nothing, in autocommit (its
        own snapshot, no BEGIN or COMMIT round trips), outside any unit of work: a read shared
        by the requests in flight (a batcher's round)."""
        async with self.autocommit_engine.connect() as conn:
            return list((await conn.execute(statement, params)).mappings())

    async def refresh_planner_statistics(self, *tables: str) -> None:
        """After a bulk write (a catalog import, a demo seed). PostgreSQL: ANALYZE the tables
        now; autovacuum's comes a minute or more later, and until then the planner guesses: it
        probed a pack's tiers through ix_cards_value, walking the pack's whole stock (2.5 ms
        per pull instead of 0.17 ms, measured on 100,000 cards). SQLite: nothing; without
        statistics its planner takes the indexes the statements are written for."""
        if not self.is_postgres:
            return
        async with self.postgres_engine.begin() as conn:
            await conn.execute(text("ANALYZE " + ", ".join(tables)))

    async def dispose(self) -> None:
        if self._probe is not None:
            self._probe.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._writer is not None:
            await self._writer.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
