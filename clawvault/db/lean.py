"""Hot write statements without SQLAlchemy's per-execution work.

A statement built once still costs SQLAlchemy ~60-100 us of CPU per execution on SQLite (its
cache key, the parameters, the result object, a greenlet switch) against ~10 us for sqlite3
itself, and a SQLite write runs while holding the write lock of every process; on PostgreSQL
~250 us against ~100 us for asyncpg (measured per INSERT). `execute` compiles each statement
once per dialect and parameter keys with SQLAlchemy's public API (the compiled SQL and its bind
positions; each bind's and each result column's processor from its type) and runs that SQL:
- SQLite: on the sqlite3 connection, when that connection holds the write lock and runs inline
  (`SqliteConnection.inline`); other SQLite connections go through `conn.execute`;
- PostgreSQL: prepared once per connection with asyncpg's `prepare`, when the connection's
  transaction is open (or it is in autocommit); the first statement of a transaction goes
  through SQLAlchemy's asyncpg adapter (a DB-API cursor of its, or `conn.exec_driver_sql`),
  since that adapter begins the transaction with its first statement. Errors are raised as
  SQLAlchemy raises them on every road.
  A list of more than one row goes through SQLAlchemy (one multi-row INSERT).
Statements SQLAlchemy would complete itself (Python side defaults, expanding IN lists) always go
through `conn.execute`; post-fetch columns (a column set to an expression) are only a note for
the ORM, not work at execution. No attribute of SQLAlchemy's or asyncpg's that is not public is
used (tests/architecture/test_public_apis.py).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import SelectBase
from sqlalchemy.types import TypeEngine

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
    """One statement compiled for one dialect and one set of parameter keys: the SQL text, the
    value of each position and the processing of each result column, all from SQLAlchemy's
    public API (its compiler's SQL and bind positions, its types' processors)."""

    __slots__ = ("binds", "columns", "lean", "returns_rows", "sql", "typed", "types")

    def __init__(self, statement: Any, dialect: Any, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        positions = compiled.positiontup or []
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
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.key in keys:
                self.binds.append((bind.key, None, processor))
            elif bind.required:
                lean = False  # missing parameter: SQLAlchemy raises its own error
                break
            else:
                value = processor(bind.value) if processor is not None else bind.value
                self.binds.append((None, value, None))
        columns = _result_columns(compiled)
        if columns is None:
            lean, columns = False, []
        # asyncpg: some result processors depend on the type the server reports (a numeric's
        # oid): they are made from the prepared statement's, at the first run.
        self.typed = dialect.driver != "asyncpg"
        self.types = [column_type for _key, column_type in columns]
        # A RETURNING SQLAlchemy added itself (the new primary key) gives the caller no rows.
        self.returns_rows = bool(columns) and not compiled.implicit_returning
        self.columns: list[tuple[str, Processor]] = [
            (key, _result_processor(column_type, dialect, None) if self.typed else None)
            for key, column_type in columns
        ]
        self.lean = lean

    def type_columns(self, dialect: Any, type_codes: Sequence[Any]) -> None:
        self.columns = [
            (key, _result_processor(column_type, dialect, code))
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


def _result_columns(compiled: SQLCompiler) -> list[tuple[str, TypeEngine[Any]]] | None:
    """The key and type of each column of the statement's rows, as its result reads them: an
    INSERT, UPDATE or DELETE's RETURNING columns (its own, or the primary key SQLAlchemy
    returns itself), a SELECT's selected columns. None if a column has no key of its own (an
    expression SQLAlchemy names at execution): such a statement runs through SQLAlchemy."""
    returning = compiled.effective_returning
    statement = compiled.statement
    if returning is not None:
        found = [(column.key, column.type) for column in returning]
    elif isinstance(statement, SelectBase):
        found = [(key, column.type) for key, column in statement.selected_columns.items()]
    else:
        found = []
    columns = [(key, column_type) for key, column_type in found if isinstance(key, str)]
    return columns if len(columns) == len(found) else None


def _result_processor(column_type: TypeEngine[Any], dialect: Any, code: Any) -> Processor:
    processor: Processor = column_type.dialect_impl(dialect).result_processor(dialect, code)
    return processor


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

# The prepared statements of a connection by SQL, in its `info` (SQLAlchemy's dictionary of the
# DB-API connection's own: it goes with the connection, and is emptied if it is invalidated).
PREPARED = "clawvault.lean.prepared"


async def _run_asyncpg(conn: AsyncConnection, compiled: Compiled, params: Params) -> LeanResult:
    """One statement on the asyncpg connection, prepared once per connection (asyncpg's public
    `prepare`), when a transaction is already open on it (or the connection is in autocommit:
    each statement its own transaction). The first statement of a transaction goes through
    SQLAlchemy's asyncpg adapter (the same SQL and values): it begins the transaction with the
    first statement it sends, and knows of no other. Errors are raised as SQLAlchemy raises
    them (a DBAPIError subclass, `.orig` the adapter's error with its sqlstate)."""
    proxied = conn.sync_connection.connection  # type: ignore[union-attr]
    driver: Any = proxied.driver_connection
    values = compiled.values(params)
    if not driver.is_in_transaction() and not conn.dialect.detect_autocommit_setting(
        proxied.dbapi_connection  # type: ignore[arg-type]
    ):
        return await _begin_through_sqlalchemy(conn, compiled, values)
    prepared_by_sql: dict[str, Any] = proxied.info.setdefault(PREPARED, {})
    try:
        prepared = prepared_by_sql.get(compiled.sql)
        if prepared is None:
            prepared = await driver.prepare(compiled.sql)
            prepared_by_sql[compiled.sql] = prepared
        if not compiled.typed:
            compiled.type_columns(conn.dialect, [a.type.oid for a in prepared.get_attributes()])
        records = await prepared.fetch(*values)
        status = _STATUS_COUNT.match(prepared.get_statusmsg() or "")
    except Exception as error:
        dbapi = conn.dialect.loaded_dbapi
        translated = _dbapi_error(dbapi, error)
        if translated is None:
            raise
        if isinstance(translated, dbapi.InvalidCachedStatementError):
            prepared_by_sql.pop(compiled.sql, None)  # prepared again at its next run
        raise DBAPIError.instance(
            compiled.sql, values, translated, dbapi.Error, dialect=conn.dialect
        ) from error
    rows = [compiled.row(record) for record in records] if compiled.returns_rows else []
    return LeanResult(rows, int(status.group(1)) if status else -1)


async def _begin_through_sqlalchemy(
    conn: AsyncConnection, compiled: Compiled, values: tuple[Any, ...]
) -> LeanResult:
    """A transaction's first statement, through SQLAlchemy's asyncpg adapter, which begins the
    transaction before it: on a DB-API cursor of the adapter's when SQLAlchemy has begun its
    transaction (`Database.write`'s; ~45 us of CPU less than `exec_driver_sql`, which runs its
    execution context and makes a result), else through `exec_driver_sql` (which begins it)."""
    if not conn.in_transaction():
        return await _through_exec_driver_sql(conn, compiled, values)
    dbapi = conn.dialect.loaded_dbapi
    try:
        records, description, count = await conn.run_sync(_on_cursor, compiled.sql, values)
    except dbapi.Error as error:  # the adapter's translation of asyncpg's error
        raise DBAPIError.instance(
            compiled.sql, values, error, dbapi.Error, dialect=conn.dialect
        ) from error
    if not compiled.returns_rows:
        return LeanResult([], count)
    if not compiled.typed:
        compiled.type_columns(conn.dialect, [entry[1] for entry in description])
    return LeanResult([compiled.row(record) for record in records], count)


def _on_cursor(sync_conn: Connection, sql: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`sql` run on a DB-API cursor of the connection (in SQLAlchemy's greenlet: `run_sync`)."""
    cursor = sync_conn.connection.cursor()
    try:
        cursor.execute(sql, values)
        records = cursor.fetchall() if cursor.description else []
        return records, cursor.description, cursor.rowcount
    finally:
        cursor.close()


async def _through_exec_driver_sql(
    conn: AsyncConnection, compiled: Compiled, values: tuple[Any, ...]
) -> LeanResult:
    result = await conn.exec_driver_sql(compiled.sql, values)
    if not compiled.returns_rows:
        count = result.rowcount
        result.close()  # the RETURNING SQLAlchemy would have added itself, if any
        return LeanResult([], count)
    if not compiled.typed:
        description = result.cursor.description or ()
        compiled.type_columns(conn.dialect, [entry[1] for entry in description])
    # The values as asyncpg gave them: plain SQL has no types for SQLAlchemy to process by.
    rows = [compiled.row(record) for record in result.all()]
    return LeanResult(rows, result.rowcount)


_ASYNCPG_ERRORS: dict[type[BaseException], str] = {}


def _dbapi_error(dbapi: Any, error: Exception) -> Exception | None:
    """`error` of asyncpg as the error of SQLAlchemy's asyncpg adapter (its DB-API module's
    class of the same name), as that adapter translates it; None for one it raises as is."""
    if not _ASYNCPG_ERRORS:
        import asyncpg  # only where PostgreSQL is used

        _ASYNCPG_ERRORS.update(
            {
                getattr(asyncpg.exceptions, name): adapted
                for name, adapted in (
                    ("PostgresError", "Error"),
                    ("IntegrityConstraintViolationError", "IntegrityError"),
                    ("SyntaxOrAccessError", "ProgrammingError"),
                    ("InterfaceError", "InterfaceError"),
                    ("InvalidCachedStatementError", "InvalidCachedStatementError"),
                    ("InternalServerError", "InternalServerError"),
                    ("RestrictViolationError", "RestrictViolationError"),
                    ("NotNullViolationError", "NotNullViolationError"),
                    ("ForeignKeyViolationError", "ForeignKeyViolationError"),
                    ("UniqueViolationError", "UniqueViolationError"),
                    ("CheckViolationError", "CheckViolationError"),
                    ("ExclusionViolationError", "ExclusionViolationError"),
                    ("InternalClientError", "InternalClientError"),
                )
            }
        )
    for kind in type(error).__mro__:
        adapted = _ASYNCPG_ERRORS.get(kind)
        if adapted is not None:
            translated: Exception = getattr(dbapi, adapted)(error.args[0], error)
            return translated
    return None
