"""One statement, written once with SQLAlchemy, run as plain SQL text on a driver's connection.

A hot read that goes straight to the driver (the stdlib sqlite3 connection, asyncpg) still has
one source: the SQLAlchemy statement. It is compiled once per dialect at import (public API:
`compile`, the compiled `string`, `positiontup` and `binds`), and each run only puts the
parameters in the order the text wants them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler


class PlainSql:
    """`statement`'s text for `dialect` (a positional paramstyle: SQLite's `?`, asyncpg's
    `$n`) and the order of its parameters."""

    __slots__ = ("defaults", "names", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler) and compiled.positional
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Parameters the statement carries a value for itself (SQLite's OFFSET 0 after a
        # LIMIT); every other one must be given.
        self.defaults: dict[str, Any] = {
            name: compiled.binds[name].value
            for name in self.names
            if compiled.binds[name].value is not None
        }

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values in the text's order (a name used twice given twice, as `?` needs)."""
        defaults = self.defaults
        return tuple(params[n] if n in params else defaults[n] for n in self.names)
