"""Idempotency-Key: replay, conflicts, racing retries over real HTTP, per partner."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.models import LedgerEntry, PurchaseSession
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner, run
from tests.live import serving

API = "/api/v1"


def count_sessions(settings: Settings) -> int:
    async def work(runtime: Runtime) -> int:
        async with runtime.db.read() as conn:
            return int((await conn.execute(select(func.count(PurchaseSession.id)))).scalar_one())

    return run(settings, work)


def test_retry_replays_the_first_answer(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    headers = {**partner.headers, "Idempotency-Key": "pull-1"}
    body = {"id": pack_id, "amount": 2, "user_id": "alice"}
    first = client.post(f"{API}/vm/buy/init", headers=headers, json=body)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    # The same JSON, spelled differently, is the same body.
    again = client.post(
        f"{API}/vm/buy/init",
        headers={**headers, "Content-Type": "application/json"},
        content=b'{"user_id":"alice", "amount": 2, "id": "%s"}' % pack_id.encode(),
    )
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert count_sessions(settings) == 1
    inventory = client.get(f"{API}/inventory/alice", headers=partner.headers).json()
    assert len(inventory["items"]) == 2

    different = client.post(f"{API}/vm/buy/init", headers=headers, json={**body, "amount": 1})
    assert different.status_code == 409
    assert different.json() == {
        "error": "Idempotency-Key was already used with a different request body"
    }
    # Keys are per partner: another partner's identical key is its own.
    other = make_partner(settings)
    theirs = client.post(
        f"{API}/vm/buy/init", headers={**other.headers, "Idempotency-Key": "pull-1"}, json=body
    )
    assert theirs.status_code == 200 and "idempotent-replayed" not in theirs.headers
    assert count_sessions(settings) == 2


def test_errors_are_replayed_too(client: TestClient, settings: Settings) -> None:
    partner = make_partner(settings)
    headers = {**partner.headers, "Idempotency-Key": "sell-1"}
    first = client.post(f"{API}/vm/buyback", headers=headers, json={"item_id": "nope"})
    again = client.post(f"{API}/vm/buyback", headers=headers, json={"item_id": "nope"})
    assert first.status_code == again.status_code == 400
    assert again.json() == {"error": "Item not found"}
    assert again.headers["idempotent-replayed"] == "true"


def test_bad_keys_and_no_key(client: TestClient, settings: Settings) -> None:
    partner = make_partner(settings)
    bad = client.post(
        f"{API}/vm/buyback",
        headers={**partner.headers, "Idempotency-Key": "x" * 256},
        json={"item_id": "a"},
    )
    assert bad.status_code == 400
    assert bad.json() == {"error": "Idempotency-Key must be 1 to 255 printable ASCII characters"}
    # An invalid API key is still 401, key or not.
    denied = client.post(
        f"{API}/vm/buyback", headers={"X-API-Key": "nope", "Idempotency-Key": "k"}, json={}
    )
    assert denied.status_code == 401 and denied.json() == {"error": "Invalid API key"}


def test_keys_expire_after_the_retention_time(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    headers = {**partner.headers, "Idempotency-Key": "old"}
    body = {"id": pack_id, "amount": 1, "user_id": "zed"}
    client.post(f"{API}/vm/buy/init", headers=headers, json=body)
    clock.advance(hours=23)
    assert client.post(f"{API}/vm/buy/init", headers=headers, json=body).headers.get(
        "idempotent-replayed"
    )
    clock.advance(hours=2)
    fresh = client.post(f"{API}/vm/buy/init", headers=headers, json=body)
    assert fresh.status_code == 200 and "idempotent-replayed" not in fresh.headers
    assert count_sessions(settings) == 2


@pytest.mark.parametrize("processes", [1, 2])
def test_racing_retries_do_the_work_once(settings: Settings, processes: int) -> None:
    """Many copies of one request, at once, against one or two server processes (apps with
    their own engines on one database): one pull, every answer the same or a 409 in flight."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, cards_per_tier=30, clock=utcnow)
    body = {"id": pack_id, "amount": 3, "user_id": "racer"}
    headers = {**partner.headers, "Idempotency-Key": "race-1"}

    async def main() -> list[httpx.Response]:
        apps = [create_app(settings, randomness=SeededRandomness(i)) for i in range(processes)]
        async with contextlib.AsyncExitStack() as stack:
            urls = [await stack.enter_async_context(serving(app)) for app in apps]
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
            calls = [
                http.post(f"{urls[i % len(urls)]}{API}/vm/buy/init", headers=headers, json=body)
                for i in range(12)
            ]
            answers = list(await asyncio.gather(*calls))
            # Once the first has finished, every retry is a replay.
            answers.append(
                await http.post(f"{urls[-1]}{API}/vm/buy/init", headers=headers, json=body)
            )
            return answers

    answers = asyncio.run(main())
    ok = [a for a in answers if a.status_code == 200]
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    assert ok and len({a.json()["session_id"] for a in ok}) == 1
    assert answers[-1].status_code == 200 and answers[-1].headers["idempotent-replayed"] == "true"
    assert count_sessions(settings) == 1

    async def entries(runtime: Runtime) -> int:
        async with runtime.db.read() as conn:
            return int((await conn.execute(select(func.count(LedgerEntry.id)))).scalar_one())

    assert run(settings, entries) == 1


def test_a_stale_claim_passes_to_a_retry_and_the_first_cannot_commit(
    settings: Settings, clock: FakeClock
) -> None:
    """A first attempt that hangs past the lock time loses its claim: a retry takes over, and
    the first one's effects can no longer commit (its mark is conditional on its claim)."""
    from clawvault.db.conn import Conn
    from clawvault.db.models import Environment
    from clawvault.db.unit import Unit
    from clawvault.idempotency import service
    from clawvault.idempotency.errors import IdempotencyClaimLost, IdempotencyRequestInProgress
    from clawvault.partners.auth import Caller

    make_partner(settings)
    caller = Caller(partner_id=1, environment=Environment.PRODUCTION)

    async def effect(conn: Conn) -> None:
        await conn.execute(
            LedgerEntry.__table__.insert().values(
                partner_id=1, kind="pull", amount_cents=-1, reference="lost", created_at=clock()
            )
        )

    async def work(runtime: Runtime) -> None:
        first = await service.claim(runtime, Unit(runtime.db), caller, "k", "fp")
        assert isinstance(first, service.Claim)
        with pytest.raises(IdempotencyRequestInProgress):
            await service.claim(runtime, Unit(runtime.db), caller, "k", "fp")
        clock.advance(seconds=61)
        second = await service.claim(runtime, Unit(runtime.db), caller, "k", "fp")
        assert isinstance(second, service.Claim) and second.token != first.token
        with pytest.raises(IdempotencyClaimLost):
            await Unit(runtime.db, record=first).write(effect)
        async with runtime.db.read() as conn:
            count = (await conn.execute(select(func.count(LedgerEntry.id)))).scalar_one()
        assert count == 0  # the first attempt's effect rolled back

    run(settings, work, clock)
