"""Concurrent requests over real HTTP against one server on a real database."""

from __future__ import annotations

import pytest

from clawvault.app import create_app
from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner
from tests.invariants import violations
from tests.live import post_at_once

API = "/api/v1"


@pytest.mark.parametrize("racers", [2, 16])
def test_concurrent_pulls_for_the_last_card(settings: Settings, racers: int) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, tiers=((100, 500, 1.0),), cards_per_tier=1, clock=utcnow)

    bodies = [{"id": pack_id, "amount": 1, "user_id": f"racer-{i}"} for i in range(racers)]
    responses = post_at_once(create_app(settings), f"{API}/vm/buy/init", partner.headers, bodies)
    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert len(winners) == 1
    assert all(
        r.status_code == 400 and r.json() == {"error": "Claw machine is out of stock"}
        for r in losers
    )
    assert violations(settings) == {}


def test_concurrent_pulls_never_share_a_card(settings: Settings) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, tiers=((100, 500, 1.0),), cards_per_tier=60, clock=utcnow)

    bodies = [{"id": pack_id, "amount": 3, "user_id": f"u{i % 5}"} for i in range(25)]
    responses = post_at_once(create_app(settings), f"{API}/vm/buy/init", partner.headers, bodies)
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 20  # 60 cards, 3 a pull
    assert all(
        r.json() == {"error": "Claw machine is out of stock"}
        for r in responses
        if r.status_code != 200
    )
    cards = [n["id"] for r in ok for n in r.json()["nfts"]]
    assert len(cards) == len(set(cards)) == 60
    assert violations(settings) == {}
