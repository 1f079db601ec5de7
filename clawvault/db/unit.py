"""The unit of work: everything one request (or one run of a background job) does to one
database, and the only code above `db/` that begins, commits or rolls back.

The edge opens it: a route takes it as a dependency (`clawvault.core.runtime.get_unit`, or the
Partner API's `clawvault.variants.partner_call`, on the store of the caller's environment); a
job or the CLI opens `Unit(db)`. Services and repositories take the unit and hand it their work
as functions of a connection; they never begin, commit or roll back:

- `write(work)`: `work(conn)` in the unit's write transaction, committed when it returns and
  rolled back when it raises; run again from the start when the database chose it as the
  victim of a deadlock or a serialization conflict (`TransientConflict` asks for the same).
  The request's idempotency record is written in that transaction, before the commit: marked
  applied, or, with `answers=True` (`work` returns the request's answer), completed with that
  answer, so a retry that arrives the moment the commit lands is already a replay.
- `read(work)`: `work(conn)` in a read transaction (one snapshot; on SQLite a deferred BEGIN
  on a reader connection, which never waits for the writer).
- `one_statement(work)`: PostgreSQL's writes that are one statement, in autocommit, when
  nothing else must commit with them (no idempotency record of this store). None, and the
  service writes in `write` instead, when that cannot be.

A unit commits at most one write transaction: what a request changes commits together, or not
at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import orjson
from sqlalchemy.exc import DBAPIError

from clawvault.db.conn import Conn
from clawvault.db.engine import Database, is_retryable

T = TypeVar("T")


class Record(Protocol):
    """What a request's idempotency record needs of the unit that runs its effects."""

    def store(self) -> Database:
        """The database the record lives in: only a unit on it can commit with it."""
        ...

    async def written(self, conn: Conn, answer: bytes | None) -> None:
        """Marks the record in `conn`'s transaction: applied, or completed with `answer` (a
        200's body). Raises when the record is no longer this request's."""
        ...

    def answered(self) -> None:
        """Its answer was stored with the unit's commit: nothing is left to store."""
        ...


class Unit:
    def __init__(
        self, db: Database, record: Record | None = None, catalog: Database | None = None
    ) -> None:
        self.db = db
        # The platform's database, where the catalog is read (`read_catalog`): this unit's own,
        # except for a sandbox request, whose unit is on the sandbox store.
        self.catalog = db if catalog is None else catalog
        # The idempotency record commits with this unit's write when it lives in this store
        # (a sandbox request's record lives in production's store: it is completed apart).
        self.record = record if record is not None and record.store() is db else None
        self._committed = False

    @property
    def is_postgres(self) -> bool:
        return self.db.is_postgres

    async def write(
        self,
        work: Callable[[Conn], Awaitable[T]],
        *,
        attempts: int = 4,
        inline: bool = False,
        answers: bool = False,
    ) -> T:
        """`inline`: a short write (a few indexed statements) that SQLite's writer runs in its
        queue runner, in a savepoint of its batch (`SqliteWriter.run`)."""
        if self._committed:
            raise RuntimeError("a unit of work commits one write transaction")
        record = self.record

        async def with_record(conn: Conn) -> T:
            result = await work(conn)
            if record is not None:
                await record.written(conn, orjson.dumps(result) if answers else None)
            return result

        result = await self.db.transaction(with_record, attempts, inline=inline)
        self._committed = True
        if record is not None and answers:
            record.answered()
        return result

    async def read(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        async with self.db.read() as conn:
            return await work(conn)

    async def read_catalog(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """`work(conn)` in a read transaction on the platform's database (`catalog`)."""
        async with self.catalog.read() as conn:
            return await work(conn)

    def autocommits(self) -> bool:
        """Whether a one-statement write of this unit may commit alone (`one_statement`)."""
        return self.db.is_postgres and self.record is None and not self._committed

    async def one_statement(self, work: Callable[[Conn], Awaitable[T | None]]) -> T | None:
        """`work`, a write that is one statement, in autocommit. None when the service must
        write in `write` instead: no autocommit for this unit, `work` wrote nothing (its None),
        or the statement was rolled back as a deadlock's victim (a transaction runs again when
        it is one; a statement alone cannot, and it wrote nothing)."""
        if not self.autocommits():
            return None
        async with self.db.autocommit_engine.connect() as conn:
            try:
                result = await work(conn)
            except DBAPIError as exc:
                if is_retryable(exc):
                    return None
                raise
        if result is not None:
            self._committed = True
        return result
