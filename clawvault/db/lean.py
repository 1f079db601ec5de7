"""Hot write statements without SQLAlchemy's per-execution work.

A statement built once still costs SQLAlchemy ~60-100 us of CPU per execution on SQLite (its
cache key, the parameters, the result object, a greenlet switch) against ~10 us for sqlite3
itself, and a SQLite write runs while holding the write lock of every process; on PostgreSQL
~250 us against ~100 us for asyncpg (measured per INSERT). `execute` compiles each statement
once per dialect and parameter keys (SQLAlchemy's own compilation: the same SQL, the same bind
and result processors) and runs it directly:
- SQLite: on the sqlite3 connection, when that connection holds the write lock and runs inline
  (`SqliteConnection.inline`); other SQLite connections go through `conn.execute`;
- PostgreSQL: on the asyncpg connection, as SQLAlchemy's asyncpg cursor does (the transaction
  begun first, the connection's prepared-statement cache, errors translated the same way).
  A list of more than one row goes through SQLAlchemy (one multi-row INSERT).
Statements SQLAlchemy would complete itself (Python side defaults, expanding IN lists) always go
through `conn.execute`; post-fetch columns (a column set to an expression) are only a note for
the ORM, not work at execution.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler

from clawvault.db.conn import Conn
from clawvault.db.sqlite_conn import SqliteConnection

Params = Mapping[str, Any]
Row = Mapping[str, Any]  # a dict here, a RowMapping from SQLAlchemy: both read by key
Processor = Callable[[Any], Any] | None


class LeanResult:
    """The rows (as dicts, values processed as SQLAlchemy would) and the row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[dict[str, Any]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


class Compiled:
    """One statement compiled for one dialect and one set of parameter keys."""

    __slots__ = ("binds", "columns", "lean", "returns_rows", "sql", "typed", "types")

    def __init__(self, statement: Any, dialect: Any, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        positions = compiled.positiontup or []
        processors = compiled._bind_processors
        # Per position: (key in the parameters or None, constant value, processor).
        self.binds: list[tuple[str | None, Any, Processor]] = []
        lean = bool(compiled.positional) and not (
            compiled.insert_prefetch
            or compiled.update_prefetch
            or compiled.literal_execute_params
            or compiled.post_compile_params
        )
        for name in positions:
            bind = compiled.binds[name]
            if bind.expanding or bind.callable is not None:
                lean = False
                break
            processor: Any = processors.get(name)
            if bind.key in keys:
                self.binds.append((bind.key, None, processor))
            elif bind.required:
                lean = False  # missing parameter: SQLAlchemy raises its own error
                break
            else:
                value = processor(bind.value) if processor is not None else bind.value
                self.binds.append((None, value, None))
        # asyncpg: some result processors depend on the type the server reports (a numeric's
        # oid): they are made from the prepared statement's, at the first run.
        self.typed = dialect.driver != "asyncpg"
        self.types = [entry.type for entry in compiled._result_columns]
        # A RETURNING SQLAlchemy added itself (the new primary key) gives the caller no rows.
        self.returns_rows = bool(compiled._result_columns) and not compiled.implicit_returning
        self.columns: list[tuple[str, Processor]] = [
            (
                entry.keyname,
                entry.type._cached_result_processor(dialect, None) if self.typed else None,
            )
            for entry in compiled._result_columns
        ]
        self.lean = lean

    def type_columns(self, dialect: Any, type_codes: Sequence[Any]) -> None:
        self.columns = [
            (key, column_type._cached_result_processor(dialect, code))
            for (key, _old), column_type, code in zip(
                self.columns, self.types, type_codes, strict=True
            )
        ]
        self.typed = True

    def values(self, params: Params) -> tuple[Any, ...]:
        out = []
        for key, constant, processor in self.binds:
            if key is None:
                out.append(constant)
            else:
                value = params[key]
                if processor is not None and value is not None:
                    value = processor(value)
                out.append(value)
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        return {
            key: (processor(value) if processor is not None else value)
            for (key, processor), value in zip(self.columns, raw, strict=True)
        }


_CACHE: dict[tuple[int, str, tuple[str, ...]], tuple[Executable, Compiled]] = {}


def compile_once(statement: Executable, dialect: Any, keys: tuple[str, ...]) -> Compiled:
    """`statement` (built once, at import) compiled for `dialect` with parameters `keys`, once
    per process: `execute`'s, and a statement that runs it in a round of its own (PullRounds)."""
    cache_key = (id(statement), dialect.name, keys)
    found = _CACHE.get(cache_key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = Compiled(statement, dialect, keys)
    # The statement is kept with its entry, so its id is not reused while cached; only
    # module-level statements built once come here, so the cache stays small.
    _CACHE[cache_key] = (statement, compiled)
    return compiled


def _inline_sqlite(conn: Conn) -> sqlite3.Connection | None:
    """The sqlite3 connection of `conn` when it runs inline (holding the write lock)."""
    if isinstance(conn, SqliteConnection) and conn.runs_inline():
        return conn.raw
    return None


async def execute(
    conn: Conn, statement: Executable, params: Params | Sequence[Params]
) -> LeanResult:
    """Runs a statement built once (at import) with `params` (a list: executemany)."""
    if conn.dialect.driver == "asyncpg":
        assert isinstance(conn, AsyncConnection)
        if not isinstance(params, Mapping) and len(params) == 1:
            params = params[0]  # one row: one statement (more: SQLAlchemy's multi-row INSERT)
        if isinstance(params, Mapping):
            compiled = compile_once(statement, conn.dialect, tuple(params))
            if compiled.lean:
                return await _run_asyncpg(conn, compiled, params)
    raw = _inline_sqlite(conn)
    many = not isinstance(params, Mapping)
    first: Params = params if isinstance(params, Mapping) else (params[0] if params else {})
    if raw is not None and not (many and not params):
        compiled = compile_once(statement, conn.dialect, tuple(first))
        if compiled.lean and not (many and compiled.columns):
            return _run(raw, compiled, params)
    result = await conn.execute(statement, params)
    rows = [dict(row) for row in result.mappings()] if result.returns_rows else []
    return LeanResult(rows, result.rowcount)


def _run(
    raw: sqlite3.Connection, compiled: Compiled, params: Params | Sequence[Params]
) -> LeanResult:
    cursor = raw.cursor()
    try:
        if isinstance(params, Mapping):
            values: Any = compiled.values(params)
            cursor.execute(compiled.sql, values)
        else:
            values = [compiled.values(p) for p in params]
            cursor.executemany(compiled.sql, values)
        rows = [compiled.row(r) for r in cursor.fetchall()] if cursor.description else []
        return LeanResult(rows, cursor.rowcount)
    except sqlite3.Error as exc:
        # As SQLAlchemy raises it (IntegrityError, OperationalError, ...), so callers and
        # Database.transaction see the same exceptions on either path.
        raise DBAPIError.instance(compiled.sql, values, exc, sqlite3.Error) from exc
    finally:
        cursor.close()


_STATUS_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


async def _run_asyncpg(conn: AsyncConnection, compiled: Compiled, params: Params) -> LeanResult:
    """What SQLAlchemy's asyncpg cursor does for one statement (start the transaction if none
    is, the prepared statement from the connection's cache, fetch, the row count from the
    status), without its per-execution work; errors raised as SQLAlchemy raises them."""
    adapted: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    values = compiled.values(params)
    async with adapted._execute_mutex:
        try:
            if adapted._transaction is None:
                await adapted._start_transaction()
            prepared, attributes = await adapted._prepare(
                compiled.sql,
                conn.dialect._invalidate_schema_cache_asof,  # type: ignore[attr-defined]
            )
            if not compiled.typed:
                compiled.type_columns(conn.dialect, [a.type.oid for a in attributes or ()])
            records = await prepared.fetch(*values)
            status = _STATUS_COUNT.match(prepared.get_statusmsg() or "")
        except Exception as error:
            try:
                adapted._handle_exception(error)  # raises it as the DB-API error it stands for
            except Exception as translated:
                raise DBAPIError.instance(
                    compiled.sql, values, translated, conn.dialect.loaded_dbapi.Error
                ) from translated
            raise
    rows = [compiled.row(record) for record in records] if compiled.returns_rows else []
    return LeanResult(rows, int(status.group(1)) if status else -1)
