"""A new price moves the card's tier, the pack's EV band and in_stock, the live buyback_price
and the sellback amount, at once; a stale price never settles a sellback."""

from __future__ import annotations

import re

from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner
from tests.operator import (
    ADMIN,
    ADMIN_API,
    API,
    card_row,
    operator_client,
    operator_settings,
    pack_cards,
    snapshot,
)

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_price_change_moves_tier_and_recomputes_ev(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    partner = make_partner(settings)
    pack_id = make_pack(settings, cards_per_tier=(3, 3, 1), clock=clock)
    top = pack_cards(settings, pack_id)[-1]
    assert (top["fmv_cents"], top["tier_id"]) == (2_000, 3)

    def pack(client) -> dict:  # type: ignore[no-untyped-def,type-arg]
        packs = client.get(f"{API}/vm/available", headers=partner.headers).json()
        return next(p for p in packs if p["id"] == pack_id)

    with operator_client(settings, clock) as client:
        before = pack(client)
        assert before["in_stock"] is True
        assert before["ev"] == 5.13  # .70 × 2.33 + .25 × 10.00 + .05 × 20.00

        clock.advance(minutes=1)
        pushed = client.post(
            f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": top["id"], "fmv": 15}
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["applied"] == 1
        assert card_row(settings, top["id"])["tier_id"] == 2
        after = pack(client)
        # the only card of tier 3 left it: the odds cannot hold, so the pack is out of stock
        assert after["in_stock"] is False
        assert after["ev"] == 5.44  # tier 2 mean (5+10+15+15)/4, empty tier 3 at its lower bound
        assert (after["min_ev"], after["max_ev"]) == (5.13, 5.44)
        assert after["ev_updated_at"] == "2026-11-27T12:01:00.123Z"

        clock.advance(minutes=1)
        client.post(f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": top["id"], "fmv": 50})
        assert card_row(settings, top["id"])["tier_id"] == 3
        back = pack(client)
        assert back["in_stock"] is True
        assert (back["ev"], back["min_ev"], back["max_ev"]) == (6.63, 5.13, 6.63)

        history = client.get(f"{ADMIN_API}/prices/{top['id']}", headers=ADMIN).json()
        assert [h["fmv"] for h in history["history"]] == [50, 15]
        assert {h["source"] for h in history["history"]} == {"admin"}
        assert all(ISO.match(h["as_of"]) for h in history["history"])


def test_buyback_price_and_sellback_follow_the_price(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    with operator_client(settings, clock) as client:
        bought = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "ann"},
        ).json()
        item_id = bought["nfts"][0]["id"]
        clock.advance(minutes=5)
        pushed = client.post(
            f"{ADMIN_API}/prices",
            headers=ADMIN,
            json={"prices": [{"card_id": item_id, "fmv": "12.34", "source": "cardladder"}]},
        )
        assert pushed.json()["applied"] == 1
        items = client.get(f"{API}/inventory/ann", headers=partner.headers).json()["items"]
        assert items[0]["buyback_price"] == 10.49  # 12.34 × 0.85, rounded half up
        assert client.get(f"{API}/card/{item_id}", headers=partner.headers).json()["fmv"] == 12.34
        sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
        assert sold.json() == {"success": True, "amount": 10.49}


def test_a_stale_price_never_settles_a_sellback(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings, price_max_age_hours=24)
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock, window_seconds=None)
    with operator_client(settings, clock) as client:
        item_id = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "sam"},
        ).json()["nfts"][0]["id"]
        clock.advance(hours=25)
        assert client.get(f"{ADMIN_API}/prices/{item_id}", headers=ADMIN).json()["stale"] is True
        before = snapshot(settings)
        refused = client.post(
            f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id}
        )
        assert (refused.status_code, refused.json()) == (400, {"error": "Transaction failed"})
        assert snapshot(settings) == before  # no credit, the card stays with the user
        inventory = client.get(f"{API}/inventory/sam", headers=partner.headers).json()["items"]
        assert [i["id"] for i in inventory] == [item_id]

        stale = client.get(f"{ADMIN_API}/prices/stale", headers=ADMIN).json()
        assert stale["max_age_hours"] == 24
        listed = {c["card_id"]: c for c in stale["cards"]}
        assert listed[item_id]["status"] == "held"

        client.post(f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": item_id, "fmv": 8})
        sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
        assert sold.json() == {"success": True, "amount": 6.8}
        stale = client.get(f"{ADMIN_API}/prices/stale", headers=ADMIN).json()
        assert item_id not in {c["card_id"] for c in stale["cards"]}
