"""Concurrent sandbox requests of one key over real HTTP: no card held twice, no item sold
twice, in either store."""

from __future__ import annotations

import asyncio

import httpx

from clawvault.app import create_app
from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner
from tests.live import serving
from tests.sandbox.helpers import SB, headers


def test_concurrent_sandbox_pulls_never_share_a_card(
    settings: Settings, sandbox_settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, tiers=((100, 500, 1.0),), cards_per_tier=20, clock=utcnow)
    h = headers(partner.sandbox_key)

    async def race() -> list[httpx.Response]:
        app = create_app(sandbox_settings)
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            return await asyncio.gather(
                *(
                    http.post(
                        f"{SB}/vm/buy/init",
                        headers=h,
                        json={"id": pack_id, "amount": 2, "user_id": f"u{i % 3}"},
                    )
                    for i in range(14)
                )
            )

    responses = asyncio.run(race())
    ok = [r for r in responses if r.status_code == 200]
    assert len(ok) == 10, [r.text for r in responses]
    assert all(
        r.json() == {"error": "Claw machine is out of stock"}
        for r in responses
        if r.status_code != 200
    )
    cards = [n["id"] for r in ok for n in r.json()["nfts"]]
    assert len(cards) == len(set(cards)) == 20


def test_concurrent_sandbox_sellbacks_of_one_item_pay_once(
    settings: Settings, sandbox_settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    h = headers(partner.sandbox_key)

    async def race() -> list[httpx.Response]:
        app = create_app(sandbox_settings)
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            bought = await http.post(
                f"{SB}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": "u"}
            )
            item_id = bought.json()["nfts"][0]["id"]
            return await asyncio.gather(
                *(
                    http.post(f"{SB}/vm/buyback", headers=h, json={"item_id": item_id})
                    for _ in range(8)
                )
            )

    responses = asyncio.run(race())
    assert sorted(r.status_code for r in responses) == [200] + [400] * 7
    assert all(r.json() == {"error": "Item not found"} for r in responses if r.status_code == 400)
