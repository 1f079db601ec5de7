"""Idempotency-Key: claim a record first, mark it in the same transaction as the effects,
store the answer, replay it to every retry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import orjson

from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.engine import Database
from clawvault.db.models import IdempotencyState
from clawvault.db.unit import Unit
from clawvault.idempotency.errors import (
    IdempotencyAnswerLost,
    IdempotencyClaimLost,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)
from clawvault.idempotency.repository import IdempotencyRepository
from clawvault.partners.auth import Caller


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Same method, path and body (JSON compared by value, not spelling) → same fingerprint."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


@dataclass(frozen=True)
class Replay:
    status: int
    body: bytes


@dataclass
class Claim:
    """This request owns the key. The request's unit of work writes it with its effects
    (`db.unit.Record`): marked applied, or completed with the answer."""

    db: Database
    record_id: int
    token: str
    stored: bool = False  # the answer committed with the effects

    def store(self) -> Database:
        return self.db

    async def written(self, conn: Conn, answer: bytes | None) -> None:
        repo = IdempotencyRepository(conn)
        if answer is None:
            marked = await repo.mark_applied(self.record_id, self.token)
        else:
            marked = await repo.complete(self.record_id, self.token, 200, answer.decode())
        if not marked:
            raise IdempotencyClaimLost()

    def answered(self) -> None:
        self.stored = True


async def claim(
    runtime: Runtime, unit: Unit, caller: Caller, key: str, fingerprint: str
) -> Replay | Claim:
    """Claims the key for this request, or answers with the stored reply; raises the 409s.
    `unit` is the middleware's own, on the platform's database, committed before the request's
    unit begins."""
    now = runtime.clock()
    settings = runtime.settings
    cutoff = now - timedelta(hours=settings.idempotency_retention_hours)
    stale = now - timedelta(seconds=settings.idempotency_lock_seconds)
    token = secrets.token_hex(16)
    environment = caller.environment.value

    async def work(conn: Conn) -> Replay | Claim:
        repo = IdempotencyRepository(conn)
        record_id = await repo.insert_claim(
            caller.partner_id, environment, key, fingerprint, token, now
        )
        if record_id is not None:
            return Claim(unit.db, record_id, token)
        record = await repo.find(caller.partner_id, environment, key)
        assert record is not None
        if as_utc(record["created_at"]) < cutoff:
            await repo.replace_expired(record["id"], cutoff, fingerprint, token, now)
            return Claim(unit.db, record["id"], token)
        if record["request_hash"] != fingerprint:
            raise IdempotencyKeyReused()
        state = record["state"]
        if state == IdempotencyState.COMPLETED.value:
            return Replay(record["response_status"], record["response_body"].encode())
        if state == IdempotencyState.APPLIED.value:
            # The work committed; its answer is either about to be stored or was lost with
            # its process.
            if as_utc(record["claimed_at"]) < stale:
                raise IdempotencyAnswerLost()
            raise IdempotencyRequestInProgress()
        if as_utc(record["claimed_at"]) < stale and await repo.take_over(
            record["id"], record["claim_token"], token, now
        ):
            return Claim(unit.db, record["id"], token)
        raise IdempotencyRequestInProgress()

    return await unit.write(work)


UNEXPECTED_BODY = b'{"error":"An unexpected error occurred"}'


async def finish(
    runtime: Runtime, unit: Unit, claimed: Claim, status: int | None, body: bytes
) -> None:
    """Stores the answer (status None: the request raised), in the middleware's own `unit`
    after the request's. A request that committed nothing and failed on the server's side frees
    its key, so a retry runs it again."""

    async def work(conn: Conn) -> None:
        repo = IdempotencyRepository(conn)
        if status is not None and status < 500:
            # Stored whatever the state; a no-op when a retry took the claim over.
            await repo.complete(claimed.record_id, claimed.token, status, body.decode())
            return
        state = await repo.state_of(claimed.record_id, claimed.token)
        if state is None:  # taken over by a retry
            return
        if state == IdempotencyState.IN_PROGRESS.value and (status is None or status >= 500):
            await repo.release(claimed.record_id, claimed.token)
            return
        if status is None:
            status_code, answer = 500, UNEXPECTED_BODY
        else:
            status_code, answer = status, body
        await repo.complete(claimed.record_id, claimed.token, status_code, answer.decode())

    await unit.write(work)


async def purge(runtime: Runtime, unit: Unit) -> int:
    cutoff = runtime.clock() - timedelta(hours=runtime.settings.idempotency_retention_hours)

    async def work(conn: Conn) -> int:
        return await IdempotencyRepository(conn).purge_before(cutoff)

    return await unit.write(work)
