"""All SQL about Idempotency-Key records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db.dialect import insert_ignoring_conflicts
from clawvault.db.models import IdempotencyKey, IdempotencyState


class IdempotencyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def insert_claim(
        self,
        partner_id: int,
        environment: str,
        key: str,
        request_hash: str,
        token: str,
        now: datetime,
    ) -> None:
        """Inserts the claim unless the key exists (the unique key decides between racers)."""
        await insert_ignoring_conflicts(
            self.conn,
            IdempotencyKey.__table__,  # type: ignore[arg-type]
            {
                "partner_id": partner_id,
                "environment": environment,
                "key": key,
                "request_hash": request_hash,
                "state": IdempotencyState.IN_PROGRESS.value,
                "claim_token": token,
                "claimed_at": now,
                "created_at": now,
            },
        )

    async def find(self, partner_id: int, environment: str, key: str) -> RowMapping | None:
        query = select(IdempotencyKey).where(
            IdempotencyKey.partner_id == partner_id,
            IdempotencyKey.environment == environment,
            IdempotencyKey.key == key,
        )
        return (await self.conn.execute(query)).mappings().first()

    async def take_over(self, record_id: int, old_token: str, token: str, now: datetime) -> bool:
        """A stale claim whose work never committed passes to a retry (the old worker can then
        no longer commit: its mark is conditional on its token)."""
        result = await self.conn.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == record_id,
                IdempotencyKey.claim_token == old_token,
                IdempotencyKey.state == IdempotencyState.IN_PROGRESS.value,
            )
            .values(claim_token=token, claimed_at=now)
        )
        return result.rowcount == 1

    async def replace_expired(
        self, record_id: int, cutoff: datetime, request_hash: str, token: str, now: datetime
    ) -> bool:
        """A key older than the retention time starts afresh."""
        result = await self.conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == record_id, IdempotencyKey.created_at < cutoff)
            .values(
                request_hash=request_hash,
                state=IdempotencyState.IN_PROGRESS.value,
                claim_token=token,
                claimed_at=now,
                created_at=now,
                response_status=None,
                response_body=None,
            )
        )
        return result.rowcount == 1

    async def mark_applied(self, record_id: int, token: str) -> bool:
        result = await self.conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == record_id, IdempotencyKey.claim_token == token)
            .values(state=IdempotencyState.APPLIED.value)
        )
        return result.rowcount == 1

    async def complete(self, record_id: int, token: str, status: int, body: str) -> None:
        await self.conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == record_id, IdempotencyKey.claim_token == token)
            .values(
                state=IdempotencyState.COMPLETED.value, response_status=status, response_body=body
            )
        )

    async def release(self, record_id: int, token: str) -> None:
        """Forgets a claim whose work committed nothing, so a retry runs it again."""
        await self.conn.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == record_id,
                IdempotencyKey.claim_token == token,
                IdempotencyKey.state == IdempotencyState.IN_PROGRESS.value,
            )
        )

    async def purge_before(self, cutoff: datetime) -> int:
        result = await self.conn.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)
        )
        return int(result.rowcount or 0)

    async def state_of(self, record_id: int, token: str) -> str | None:
        query = select(IdempotencyKey.state).where(
            IdempotencyKey.id == record_id, IdempotencyKey.claim_token == token
        )
        return (await self.conn.execute(query)).scalar_one_or_none()
