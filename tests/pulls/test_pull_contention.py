"""Pulls that meet each other's locks: two transactions each holding a card of a tier and
wanting the other's must not deadlock (PostgreSQL), and a lost race is retried whole."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.engine import TransientConflict
from clawvault.db.models import Partner
from clawvault.pulls.repository import PullRepository
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner, run

pytestmark = pytest.mark.timeout(60)


def claim_kwargs(session_id: str) -> dict[str, object]:
    return {
        "partner_id": 1,
        "user_id": "u",
        "session_id": session_id,
        "now": FakeClock()(),
        "expires_at": None,
    }


def test_a_pull_holding_cards_does_not_wait_for_another_holding_the_rest(
    settings: Settings,
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite serializes writers: no two pulls are ever in flight together")
    make_partner(settings)
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=2, clock=utcnow)

    async def work(runtime: Runtime) -> list[object]:
        async with runtime.db.write() as first, runtime.db.write() as second:
            one, two = PullRepository(first), PullRepository(second)
            assert await one.claim_card(pack_id, 1, 0, **claim_kwargs("s1")) is not None  # type: ignore[arg-type]
            assert await two.claim_card(pack_id, 1, 0, **claim_kwargs("s2")) is not None  # type: ignore[arg-type]
            # Each now wants a second card: the only one left is the other's. Waiting would
            # deadlock; both must give up at once and let their request be retried.
            return await asyncio.wait_for(
                asyncio.gather(
                    one.claim_card(pack_id, 1, 0, wait=False, **claim_kwargs("s1")),  # type: ignore[arg-type]
                    two.claim_card(pack_id, 1, 0, wait=False, **claim_kwargs("s2")),  # type: ignore[arg-type]
                    return_exceptions=True,
                ),
                timeout=30,
            )

    outcomes = run(settings, work)
    assert [type(o) for o in outcomes] == [TransientConflict, TransientConflict]


def test_an_empty_tier_is_out_of_stock_not_a_conflict(settings: Settings) -> None:
    make_partner(settings)
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=1, clock=utcnow)

    async def work(runtime: Runtime) -> object:
        async with runtime.db.write() as conn:
            repo = PullRepository(conn)
            assert await repo.claim_card(pack_id, 1, 0, **claim_kwargs("s1")) is not None  # type: ignore[arg-type]
            return await repo.claim_card(pack_id, 1, 0, wait=False, **claim_kwargs("s1"))  # type: ignore[arg-type]

    assert run(settings, work) is None


def test_a_retried_transaction_leaves_nothing_of_its_failed_attempts(settings: Settings) -> None:
    attempts: list[int] = []

    async def work(runtime: Runtime) -> tuple[int, int]:
        async def attempt(conn: AsyncConnection) -> int:
            attempts.append(len(attempts) + 1)
            await conn.execute(
                insert(Partner).values(name=f"attempt-{len(attempts)}", created_at=FakeClock()())
            )
            if len(attempts) < 3:
                raise TransientConflict()
            return len(attempts)

        last = await runtime.db.transaction(attempt)
        async with runtime.db.read() as conn:
            names = (await conn.execute(select(func.count()).select_from(Partner))).scalar_one()
        return last, int(names)

    assert run(settings, work) == (3, 1)
