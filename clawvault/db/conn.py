"""What repositories and services need of a database connection: SQLAlchemy's AsyncConnection
on PostgreSQL, our `sqlite_conn.SqliteConnection` on SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVarTuple, overload

from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import TypedReturnsRows

Ts = TypeVarTuple("Ts")


class Conn(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    @overload
    async def execute(
        self,
        statement: TypedReturnsRows[*Ts],
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[*Ts]: ...

    @overload
    async def execute(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[*tuple[Any, ...]]: ...

    async def exec_driver_sql(
        self, statement: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> CursorResult[Any]: ...
