"""The money ledger: one signed entry per pull, sellback and shipping order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.models import LedgerEntry, LedgerKind


class LedgerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(
        self,
        partner_id: int,
        kind: LedgerKind,
        amount_cents: int,
        reference: str,
        user_id: str | None,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            insert(LedgerEntry).values(
                partner_id=partner_id,
                kind=kind.value,
                amount_cents=amount_cents,
                reference=reference,
                user_id=user_id,
                created_at=now,
            )
        )

    async def balance_cents(self, partner_id: int) -> int:
        query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.partner_id == partner_id
        )
        return int((await self.conn.execute(query)).scalar_one())
