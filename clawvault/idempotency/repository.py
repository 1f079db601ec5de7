"""All SQL about Idempotency-Key records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres
from clawvault.db.models import IdempotencyKey, IdempotencyState

# Built once: every POST with an Idempotency-Key runs these.
_TABLE = IdempotencyKey.__table__
CLAIM_POSTGRES = (
    postgresql.insert(_TABLE).on_conflict_do_nothing().returning(IdempotencyKey.id)  # type: ignore[arg-type]
)
CLAIM_SQLITE = sqlite.insert(_TABLE).on_conflict_do_nothing().returning(IdempotencyKey.id)  # type: ignore[arg-type]
FIND = select(_TABLE).where(
    IdempotencyKey.partner_id == bindparam("partner_id"),
    IdempotencyKey.environment == bindparam("environment"),
    IdempotencyKey.key == bindparam("key"),
)
MARK_APPLIED = (
    update(IdempotencyKey)
    .where(
        IdempotencyKey.id == bindparam("record_id"),
        IdempotencyKey.claim_token == bindparam("token"),
    )
    .values(state=IdempotencyState.APPLIED.value)
)
COMPLETE = (
    update(IdempotencyKey)
    .where(
        IdempotencyKey.id == bindparam("record_id"),
        IdempotencyKey.claim_token == bindparam("token"),
    )
    .values(
        state=IdempotencyState.COMPLETED.value,
        response_status=bindparam("status"),
        response_body=bindparam("body"),
    )
)
STATE_OF = select(IdempotencyKey.state).where(
    IdempotencyKey.id == bindparam("record_id"),
    IdempotencyKey.claim_token == bindparam("token"),
)


class IdempotencyRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def insert_claim(
        self,
        partner_id: int,
        environment: str,
        key: str,
        request_hash: str,
        token: str,
        now: datetime,
    ) -> int | None:
        """Inserts the claim unless the key exists (the unique key decides between racers);
        returns the new record's id, None when the key existed."""
        statement = CLAIM_POSTGRES if is_postgres(self.conn) else CLAIM_SQLITE
        result = await self.conn.execute(
            statement,
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
        return result.scalar_one_or_none()

    async def find(self, partner_id: int, environment: str, key: str) -> RowMapping | None:
        params = {"partner_id": partner_id, "environment": environment, "key": key}
        return (await self.conn.execute(FIND, params)).mappings().first()

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
        result = await self.conn.execute(MARK_APPLIED, {"record_id": record_id, "token": token})
        return result.rowcount == 1

    async def complete(self, record_id: int, token: str, status: int, body: str) -> bool:
        """Stores the answer; does nothing (False) when the claim passed to a retry."""
        params = {"record_id": record_id, "token": token, "status": status, "body": body}
        return (await self.conn.execute(COMPLETE, params)).rowcount == 1

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
        params = {"record_id": record_id, "token": token}
        return (await self.conn.execute(STATE_OF, params)).scalar_one_or_none()
