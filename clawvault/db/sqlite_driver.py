"""SQLite statements in one trip to aiosqlite's thread instead of four.

SQLAlchemy's aiosqlite adapter hands each statement to the driver's thread four times (open a
cursor, execute, fetch the rows, close the cursor), and each hand-over waits for the event loop
to wake up. The profile of a busy worker showed the loop idle, waiting on that thread: a pull
is ~12 statements, all made while holding the write lock. This cursor does the four steps in
one function run on the same thread, the same sqlite3 calls in the same order.

Also `connect_existing`: the plain sqlite3 connection of a process's helpers beside the engines
(the data_version probe, the WAL checkpointer).
"""

from __future__ import annotations

import collections
import sqlite3
import urllib.parse
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT

INLINE = "_clawvault_inline"


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


def run_inline(driver_connection: Any, inline: bool) -> None:
    """Whether statements on this aiosqlite connection run on the calling (event loop) thread
    instead of being handed to the connection's own thread. Only for a connection that holds
    SQLite's write lock (see sqlite_writer.SqliteWriter): its statements never wait for a lock,
    and its thread is idle between them, so a write transaction runs without giving the loop up
    between statements. Its BEGIN and COMMIT (which may wait, and fsync) stay on the thread."""
    setattr(driver_connection, INLINE, inline)


class _Finished:
    """What SQLAlchemy reads of a driver cursor after a statement, read on the driver's thread
    (the sqlite3 cursor itself is closed there)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def close(self) -> None:
        pass


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Finished, list[Any] | None]:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        finished = _Finished()
        finished.description = cursor.description
        rows = cursor.fetchall() if cursor.description else None
        finished.rowcount = cursor.rowcount
        finished.lastrowid = cursor.lastrowid
        return finished, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # nothing left open on the driver's thread

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Finished()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            if getattr(driver, INLINE, False):
                finished, rows = _run(driver._conn, operation, parameters, many)
            else:
                finished, rows = await driver._execute(
                    lambda: _run(driver._conn, operation, parameters, many)
                )
        self._cursor = finished  # type: ignore[assignment]
        if rows is not None:
            self._rows = collections.deque(rows)
        return finished


def install() -> None:
    """Every aiosqlite connection SQLAlchemy makes uses OneTripCursor (server-side cursors,
    which clawvault does not use, keep SQLAlchemy's)."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
