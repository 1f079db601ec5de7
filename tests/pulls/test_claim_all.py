"""PostgreSQL: all the cards of a pull in one statement (`PullRepository.claim_all`) are the
cards the pull's draws would take one by one, or nothing changes and the pull claims card by
card."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.models import Card
from clawvault.pulls.repository import PullRepository
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, make_pack, make_partner, run

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

HOLDER = {
    "partner_id": 1,
    "user_id": "alice",
    "session_id": "s-claim-all",
    "now": FakeClock()(),
    "expires_at": None,
}


def pool(settings: Settings, cards: int = 20) -> tuple[str, list[tuple[int, str]]]:
    """A one-tier pack of partner 1; its cards' (pool_key, id) in pool order."""
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=cards, clock=utcnow)

    async def work(runtime: Runtime) -> list[tuple[int, str]]:
        async with runtime.db.read() as conn:
            query = select(Card.pool_key, Card.id).where(Card.pack_id == pack_id)
            return sorted((key, card_id) for key, card_id in (await conn.execute(query)).all())

    return pack_id, run(settings, work)


@pytest.fixture(autouse=True)
def partner(settings: Settings) -> PartnerKeys:
    return make_partner(settings)


def holders(settings: Settings, pack_id: str) -> dict[str, str | None]:
    async def work(runtime: Runtime) -> dict[str, str | None]:
        async with runtime.db.read() as conn:
            query = select(Card.id, Card.owner_user_id).where(Card.pack_id == pack_id)
            return dict((await conn.execute(query)).tuples().all())

    return run(settings, work)


def claim_all(settings: Settings, pack_id: str, keys: list[int]) -> list[str] | None:
    async def work(runtime: Runtime) -> list[str] | None:
        async with runtime.db.write() as conn:
            rows = await PullRepository(conn).claim_all(
                pack_id,
                [(1, key) for key in keys],
                **HOLDER,  # type: ignore[arg-type]
            )
        return None if rows is None else [row["id"] for row in rows]

    return run(settings, work)


def test_each_draw_takes_the_first_card_at_or_after_its_key_in_draw_order(
    settings: Settings,
) -> None:
    pack_id, cards = pool(settings)
    # Keys just past cards 4, 0 and 11 (and card 17's own key): draws out of pool order.
    keys = [cards[4][0] + 1, cards[0][0] + 1, cards[11][0] + 1, cards[17][0]]
    taken = claim_all(settings, pack_id, keys)
    assert taken == [cards[5][1], cards[1][1], cards[12][1], cards[17][1]]
    owners = holders(settings, pack_id)
    assert sorted(card for card, owner in owners.items() if owner == "alice") == sorted(taken)


def test_two_draws_meeting_at_one_card_change_nothing(settings: Settings) -> None:
    pack_id, cards = pool(settings)
    # Both draws' first card is card 3: taken one by one, the second would get card 4.
    keys = [cards[2][0] + 1, cards[5][0], cards[3][0]]
    assert claim_all(settings, pack_id, keys) is None
    assert set(holders(settings, pack_id).values()) == {None}


def test_a_draw_past_the_last_card_changes_nothing(settings: Settings) -> None:
    pack_id, cards = pool(settings)
    # Taken one by one, this draw would wrap around to the first card of the pool.
    assert claim_all(settings, pack_id, [cards[0][0], cards[-1][0] + 1]) is None
    assert set(holders(settings, pack_id).values()) == {None}


def test_a_card_locked_by_a_pull_in_flight_is_skipped(settings: Settings) -> None:
    pack_id, cards = pool(settings)

    async def work(runtime: Runtime) -> list[str] | None:
        async with runtime.db.write() as first, runtime.db.write() as second:
            held = await PullRepository(first).claim_card(
                pack_id,
                1,
                cards[6][0],
                **{**HOLDER, "user_id": "bob", "session_id": "s-bob"},  # type: ignore[arg-type]
            )
            assert held is not None and held["id"] == cards[6][1]
            rows = await PullRepository(second).claim_all(
                pack_id,
                [(1, cards[6][0]), (1, cards[9][0])],
                **HOLDER,  # type: ignore[arg-type]
            )
        return None if rows is None else [row["id"] for row in rows]

    # Bob's card is still available to the statement's snapshot, but locked: skipped, as the
    # one-by-one claim skips it.
    assert run(settings, work) == [cards[7][1], cards[9][1]]


def test_a_pull_whose_draws_meet_still_gets_every_card(
    client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id, cards = pool(settings, cards=10)
    # Ten draws over ten cards: some draws meet at one card or pass the last, so the pull is
    # claimed card by card, and takes the whole pool.
    response = client.post(
        "/api/v1/vm/buy/init",
        json={"id": pack_id, "amount": 10, "user_id": "alice"},
        headers=partner.headers,
    )
    assert response.status_code == 200, response.text
    assert sorted(nft["id"] for nft in response.json()["nfts"]) == sorted(c for _k, c in cards)
    assert set(holders(settings, pack_id).values()) == {"alice"}
