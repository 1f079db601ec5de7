"""The money ledger: one signed entry per pull, sellback and shipping order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, insert, literal_column, or_, select

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.models import LedgerEntry, LedgerKind

# Built once: every pull, sellback and order records an entry.
ADD_ENTRY = insert(LedgerEntry.__table__)  # type: ignore[arg-type]


def ledger_entry(
    partner_id: int,
    kind: LedgerKind,
    amount_cents: int,
    reference: str,
    user_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The values of one entry (the parameters of ADD_ENTRY)."""
    return {
        "partner_id": partner_id,
        "kind": kind.value,
        "amount_cents": amount_cents,
        "reference": reference,
        "user_id": user_id,
        "created_at": now,
    }


class LedgerRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, entry: dict[str, Any]) -> None:
        """Records one entry (`ledger_entry`'s values)."""
        await lean.execute(self.conn, ADD_ENTRY, entry)

    async def balance_cents(self, partner_id: int) -> int:
        query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.partner_id == partner_id
        )
        return int((await self.conn.execute(query)).scalar_one())

    def _in_range(self, partner_id: int, start: datetime | None, end: datetime | None) -> Any:
        conditions = [LedgerEntry.partner_id == partner_id]
        if start is not None:
            conditions.append(LedgerEntry.created_at >= start)
        if end is not None:
            conditions.append(LedgerEntry.created_at < end)
        return and_(*conditions)

    async def entries(
        self,
        partner_id: int,
        start: datetime | None,
        end: datetime | None,
        after: tuple[datetime, int] | None,
        limit: int | None,
    ) -> Sequence[RowMapping]:
        """Oldest first, keyset-paginated by (created_at, id)."""
        query = (
            select(
                LedgerEntry.id,
                LedgerEntry.kind,
                LedgerEntry.amount_cents,
                LedgerEntry.reference,
                LedgerEntry.user_id,
                LedgerEntry.created_at,
            )
            .where(self._in_range(partner_id, start, end))
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
        if after is not None:
            created_at, entry_id = after
            query = query.where(
                or_(
                    LedgerEntry.created_at > created_at,
                    and_(LedgerEntry.created_at == created_at, LedgerEntry.id > entry_id),
                )
            )
        if limit is not None:
            query = query.limit(limit)
        return (await self.conn.execute(query)).mappings().all()

    async def sum_before(self, partner_id: int, start: datetime | None) -> int:
        if start is None:
            return 0
        query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.partner_id == partner_id, LedgerEntry.created_at < start
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def daily_totals(
        self, partner_id: int, start: datetime | None, end: datetime | None
    ) -> Sequence[RowMapping]:
        """Per UTC day and kind: the count and the sum of entries."""
        if self.conn.dialect.name == "postgresql":
            day: Any = func.to_char(
                func.timezone("UTC", LedgerEntry.created_at), literal_column("'YYYY-MM-DD'")
            )
        else:
            day = func.substr(LedgerEntry.created_at, 1, 10)  # stored as UTC ISO text
        query = (
            select(
                day.label("day"),
                LedgerEntry.kind,
                func.count().label("count"),
                func.sum(LedgerEntry.amount_cents).label("amount_cents"),
            )
            .where(self._in_range(partner_id, start, end))
            .group_by(day, LedgerEntry.kind)
            .order_by(day)
        )
        return (await self.conn.execute(query)).mappings().all()
