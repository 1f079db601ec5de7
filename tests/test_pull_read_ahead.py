"""SQLite: a pull of a user who has a seed reads the pack and the seed before the write lock
(`pulls.service._read_ahead`); inside it the nonces are reserved only where the seed was read,
or the pull runs again reading inside the write. Either way every nonce draws once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clawvault.core.runtime import Runtime
from clawvault.db.models import FairnessSeed, Pull
from clawvault.pulls import service as pulls_service
from clawvault.pulls.repository import PullRepository, pack_and_seed_sqlite
from clawvault.settings import Settings
from tests.factories import PartnerKeys, make_pack, make_partner, run

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture(autouse=True)
def partner(settings: Settings) -> PartnerKeys:
    return make_partner(settings)


@pytest.fixture
def reserved(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each reservation from a seed read ahead succeeded (the real method, observed)."""
    seen: list[bool] = []
    real = PullRepository.reserve_from

    async def observed(self: PullRepository, seed: Any, amount: int) -> bool:
        ok = await real(self, seed, amount)
        seen.append(ok)
        return ok

    monkeypatch.setattr(PullRepository, "reserve_from", observed)
    return seen


def pull(client: TestClient, partner: PartnerKeys, pack_id: str, amount: int) -> Any:
    answer = client.post(
        "/api/v1/vm/buy/init",
        json={"id": pack_id, "amount": amount, "user_id": "alice"},
        headers=partner.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def nonces(settings: Settings) -> tuple[list[int | None], int]:
    async def work(runtime: Runtime) -> tuple[list[int | None], int]:
        async with runtime.db.read() as conn:
            drawn = (await conn.execute(select(Pull.nonce).order_by(Pull.id))).scalars().all()
            next_nonce = (await conn.execute(select(FairnessSeed.next_nonce))).scalar_one()
            return list(drawn), next_nonce

    return run(settings, work)


def test_a_user_with_a_seed_pulls_with_the_seed_read_ahead(
    client: TestClient, settings: Settings, partner: PartnerKeys, reserved: list[bool]
) -> None:
    pack_id = make_pack(settings)
    pull(client, partner, pack_id, 2)  # the seed is committed inside this first pull's write
    assert reserved == []
    pull(client, partner, pack_id, 3)
    pull(client, partner, pack_id, 1)
    assert reserved == [True, True]
    assert nonces(settings) == ([0, 1, 2, 3, 4, 5], 6)


def test_a_seed_that_moved_on_since_it_was_read_is_read_again_inside_the_write(
    client: TestClient,
    settings: Settings,
    partner: PartnerKeys,
    reserved: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pack_id = make_pack(settings)
    pull(client, partner, pack_id, 2)
    real = pack_and_seed_sqlite  # the function the service calls

    def read_before_the_last_pull(*args: Any) -> Any:
        pack, seed = real(*args)
        assert seed is not None
        return pack, {**seed, "next_nonce": seed["next_nonce"] - 1}  # as another pull committed

    monkeypatch.setattr(pulls_service, "pack_and_seed_sqlite", read_before_the_last_pull)
    answer = pull(client, partner, pack_id, 3)
    assert len(answer["nfts"]) == 3
    assert reserved == [False]  # then read inside the write: no reservation from a read ahead
    assert nonces(settings) == ([0, 1, 2, 3, 4], 5)
