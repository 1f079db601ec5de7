"""The unit of work (clawvault.db.unit): one write transaction a unit, the request's idempotency
record written in it (with the answer when the work returns it), a rolled-back attempt not
counted, and a record of another store left alone. On both databases."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.engine import Database
from clawvault.db.models import Environment, IdempotencyKey, IdempotencyState, LedgerEntry
from clawvault.db.unit import Unit
from clawvault.idempotency import service
from clawvault.partners.auth import Caller
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner, run

API = "/api/v1"


def _entry(clock: FakeClock, reference: str) -> Any:
    return LedgerEntry.__table__.insert().values(
        partner_id=1, kind="pull", amount_cents=-1, reference=reference, created_at=clock()
    )


async def _references(runtime: Runtime) -> list[str]:
    async def read(conn: Conn) -> list[str]:
        rows = await conn.execute(select(LedgerEntry.reference).order_by(LedgerEntry.reference))
        return list(rows.scalars())

    return await Unit(runtime.db).read(read)


async def _record(runtime: Runtime) -> tuple[str, str | None]:
    async def read(conn: Conn) -> tuple[str, str | None]:
        row = (await conn.execute(select(IdempotencyKey.state, IdempotencyKey.response_body))).one()
        return row[0], row[1]

    return await Unit(runtime.db).read(read)


def test_a_unit_commits_one_write_and_a_rolled_back_one_does_not_count(
    settings: Settings, clock: FakeClock
) -> None:
    make_partner(settings)

    async def work(runtime: Runtime) -> list[str]:
        unit = Unit(runtime.db)

        async def fails(conn: Conn) -> None:
            await conn.execute(_entry(clock, "rolled-back"))
            raise LookupError("refused")

        with pytest.raises(LookupError):
            await unit.write(fails)

        async def writes(conn: Conn) -> str:
            await conn.execute(_entry(clock, "committed"))
            return "done"

        assert await unit.write(writes) == "done"
        with pytest.raises(RuntimeError, match="one write transaction"):
            await unit.write(writes)
        return await _references(runtime)

    assert run(settings, work, clock) == ["committed"]


def test_the_idempotency_record_commits_with_the_work_and_its_answer(
    settings: Settings, clock: FakeClock
) -> None:
    make_partner(settings)
    caller = Caller(partner_id=1, environment=Environment.PRODUCTION)

    async def work(runtime: Runtime) -> tuple[Any, ...]:
        claim = await service.claim(runtime, Unit(runtime.db), caller, "k", "fp")
        assert isinstance(claim, service.Claim)

        async def fails(conn: Conn) -> None:
            await conn.execute(_entry(clock, "rolled-back"))
            raise LookupError("refused")

        with pytest.raises(LookupError):
            await Unit(runtime.db, claim).write(fails, answers=True)
        after_failure = await _record(runtime), claim.stored

        async def writes(conn: Conn) -> dict[str, Any]:
            await conn.execute(_entry(clock, "committed"))
            return {"session_id": "s", "nfts": []}

        answer = await Unit(runtime.db, claim).write(writes, answers=True)
        return after_failure, await _record(runtime), claim.stored, answer

    after_failure, after, stored, answer = run(settings, work, clock)
    assert after_failure == ((IdempotencyState.IN_PROGRESS.value, None), False)
    assert after == (IdempotencyState.COMPLETED.value, orjson.dumps(answer).decode())
    assert stored is True


def test_a_record_of_another_store_is_not_the_units(settings: Settings, clock: FakeClock) -> None:
    """A sandbox request's record lives in production's store: a unit on the sandbox store
    cannot commit with it (the middleware completes it after the request), and its one
    statements may commit alone."""
    make_partner(settings)
    caller = Caller(partner_id=1, environment=Environment.SANDBOX)

    async def work(runtime: Runtime) -> tuple[bool, bool, bool]:
        claim = await service.claim(runtime, Unit(runtime.db), caller, "k", "fp")
        assert isinstance(claim, service.Claim)
        other = Database(runtime.db.url, settings)  # another store
        try:
            elsewhere = Unit(other, claim)
            here = Unit(runtime.db, claim)
            return elsewhere.record is None, here.record is claim, elsewhere.autocommits()
        finally:
            await other.dispose()

    elsewhere_free, here_bound, autocommits = run(settings, work, clock)
    assert (elsewhere_free, here_bound) == (True, True)
    assert autocommits is settings.database_url.startswith("postgresql")


def test_a_keyed_pull_stores_its_answer_in_its_own_commit(
    client: TestClient, settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The middleware stores nothing after a keyed pull (its unit completed the record with the
    answer before committing), and a retry replays that answer byte for byte."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    finished: list[int | None] = []
    real_finish = service.finish

    async def finish(runtime: Runtime, unit: Unit, claimed: Any, status: Any, body: Any) -> None:
        finished.append(status)
        await real_finish(runtime, unit, claimed, status, body)

    monkeypatch.setattr(service, "finish", finish)
    headers = {**partner.headers, "Idempotency-Key": "pull-in-unit"}
    body = {"id": pack_id, "amount": 2, "user_id": "alice"}
    first = client.post(f"{API}/vm/buy/init", headers=headers, json=body)
    assert first.status_code == 200, first.text
    assert finished == []
    again = client.post(f"{API}/vm/buy/init", headers=headers, json=body)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content

    refused = client.post(
        f"{API}/vm/buy/init",
        headers={**partner.headers, "Idempotency-Key": "refused"},
        json={**body, "id": "no-such-pack"},
    )
    assert 400 <= refused.status_code < 500, refused.text
    # A refusal committed nothing: the middleware stores its answer.
    assert finished == [refused.status_code]

    async def count(runtime: Runtime) -> int:
        async def read(conn: Conn) -> int:
            return int((await conn.execute(select(func.count(IdempotencyKey.id)))).scalar_one())

        return await Unit(runtime.db).read(read)

    assert run(settings, count, clock) == 2
