"""Each documented sandbox behaviour (partner-api.md §4), through the HTTP API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from clawvault.app import API_PREFIX, SANDBOX_API_PREFIX
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.sandbox.helpers import (
    API,
    SB,
    buy,
    headers,
    inventory_ids,
    set_production_mint_addresses,
    ship,
)

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_production_route_is_mirrored(sandbox: TestClient) -> None:
    paths = sandbox.get("/openapi.json").json()["paths"]
    production = {p: set(ops) for p, ops in paths.items() if p.startswith(API_PREFIX + "/")}
    assert len(production) >= 10
    for path, methods in production.items():
        assert set(paths[SANDBOX_API_PREFIX + path[len(API_PREFIX) :]]) == methods


def test_keys_work_only_on_their_own_prefix(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    make_pack(settings, clock=clock)
    invalid = {"error": "Invalid API key"}
    for path in ("/vm/available", "/card/nope", "/inventory/alice"):
        wrong_side = sandbox.get(f"{SB}{path}", headers=headers(partner.key))
        assert (wrong_side.status_code, wrong_side.json()) == (401, invalid)
        other_side = sandbox.get(f"{API}{path}", headers=headers(partner.sandbox_key))
        assert (other_side.status_code, other_side.json()) == (401, invalid)
    assert sandbox.get(f"{SB}/vm/available").status_code == 401
    assert sandbox.get(f"{SB}/vm/available", headers={"X-API-Key": "sandbox-nope"}).json() == (
        invalid
    )
    assert sandbox.get(f"{SB}/vm/available", headers=headers(partner.sandbox_key)).status_code == (
        200
    )
    assert sandbox.get(f"{SB}/inventory/", headers=headers(partner.sandbox_key)).json() == {
        "error": "Not Found"
    }


def test_pull_is_synchronous_with_sandbox_tx_hash_and_no_image_link_in_status(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, slug="sb-pack", clock=clock)
    key = partner.sandbox_key
    bought = buy(sandbox, key, pack_id, amount=3)
    assert len({n["id"] for n in bought["nfts"]}) == 3
    for nft in bought["nfts"]:
        assert nft["claw_id"] == pack_id and nft["claw_slug"] == "sb-pack"
        assert nft["content"]["links"]["image"] == nft["content"]["metadata"]["image"]

    status = sandbox.post(
        f"{SB}/vm/buy/status", headers=headers(key), json={"session_id": bought["session_id"]}
    )
    assert status.status_code == 200
    result = status.json()["result"]  # never {"status": "pending"}
    assert re.fullmatch(r"sandbox_[A-Za-z0-9_-]+", result["tx_hash"])
    assert result["user_id"] == "alice" and re.fullmatch(r"_[A-Z]{4}", result["public_id"])
    assert [n["id"] for n in result["nfts"]] == [n["id"] for n in bought["nfts"]]
    for nft in result["nfts"]:
        assert "image" not in nft["content"]["links"]
        assert nft["content"]["links"] == {"back_image": None}

    inventory = sandbox.get(f"{SB}/inventory/alice", headers=headers(key)).json()
    assert all("image" in i["content"]["links"] for i in inventory["items"])

    for session_id in ("00000000-0000-4000-8000-000000000000", "", None):
        unknown = sandbox.post(
            f"{SB}/vm/buy/status", headers=headers(key), json={"session_id": session_id}
        )
        assert (unknown.status_code, unknown.json()) == (400, {"error": "Transaction failed"})


def test_mint_address_is_null_for_ebay_items(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    ebay = make_pack(settings, card_type="ebay", clock=clock)
    enft = make_pack(settings, card_type="enft", clock=clock)
    set_production_mint_addresses(settings, ebay)
    production = sandbox.post(
        f"{API}/vm/buy/init",
        headers=headers(partner.key),
        json={"id": ebay, "amount": 1, "user_id": "p"},
    ).json()
    assert production["nfts"][0]["mint_address"] == "M1ntAddr3ss"  # the catalog has one

    bought = buy(sandbox, partner.sandbox_key, ebay, amount=2)
    assert [n["type"] for n in bought["nfts"]] == ["ebay", "ebay"]
    assert all(n["mint_address"] is None for n in bought["nfts"])
    status = sandbox.post(
        f"{SB}/vm/buy/status",
        headers=headers(partner.sandbox_key),
        json={"session_id": bought["session_id"]},
    ).json()["result"]
    assert all(n["mint_address"] is None for n in status["nfts"])
    inventory = sandbox.get(f"{SB}/inventory/alice", headers=headers(partner.sandbox_key)).json()
    assert all(i["mint_address"] is None for i in inventory["items"])
    onchain = buy(sandbox, partner.sandbox_key, enft)["nfts"][0]
    assert onchain["mint_address"] == onchain["id"]


def test_buyback_expiry_is_always_seven_days(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    no_window = make_pack(settings, window_seconds=None, clock=clock)
    one_day = make_pack(settings, window_seconds=86400, clock=clock)
    for pack_id in (no_window, one_day):
        nft = buy(sandbox, partner.sandbox_key, pack_id)["nfts"][0]
        assert ISO.match(nft["purchased_at"]) and ISO.match(nft["buyback_expires_at"])
        assert parse(nft["buyback_expires_at"]) - parse(nft["purchased_at"]) == timedelta(days=7)


def test_looser_out_of_stock_rule(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    one_tier_stocked = make_pack(settings, cards_per_tier=(3, 0, 0), clock=clock)
    empty = make_pack(settings, cards_per_tier=0, clock=clock)
    disabled = make_pack(settings, enable=False, clock=clock)
    out_of_stock = {"error": "Claw machine is out of stock"}

    production = {
        p["id"]: p["in_stock"]
        for p in sandbox.get(f"{API}/vm/available", headers=headers(partner.key)).json()
    }
    listed = {
        p["id"]: p["in_stock"]
        for p in sandbox.get(f"{SB}/vm/available", headers=headers(key)).json()
    }
    assert production[one_tier_stocked] is False and listed[one_tier_stocked] is True
    assert listed[empty] is False and production[empty] is False

    prod_buy = sandbox.post(
        f"{API}/vm/buy/init",
        headers=headers(partner.key),
        json={"id": one_tier_stocked, "amount": 1, "user_id": "p"},
    )
    assert prod_buy.json() == out_of_stock
    bought = buy(sandbox, key, one_tier_stocked, amount=3)
    assert len({n["id"] for n in bought["nfts"]}) == 3
    assert all(n["buyback_price"] < 5 for n in bought["nfts"])  # all from the $1-$5 tier

    for pack_id, amount in ((one_tier_stocked, 1), (empty, 1), (disabled, 1)):
        answer = sandbox.post(
            f"{SB}/vm/buy/init",
            headers=headers(key),
            json={"id": pack_id, "amount": amount, "user_id": "bob"},
        )
        assert (answer.status_code, answer.json()) == (400, out_of_stock)
    # not enough candidates for the whole request: nothing at all is allocated
    partial = make_pack(settings, cards_per_tier=(2, 0, 0), clock=clock)
    answer = sandbox.post(
        f"{SB}/vm/buy/init",
        headers=headers(key),
        json={"id": partial, "amount": 3, "user_id": "bob"},
    )
    assert answer.json() == out_of_stock
    assert sandbox.get(f"{SB}/inventory/bob", headers=headers(key)).status_code == 404
    assert len(buy(sandbox, key, partial, amount=2, user_id="bob")["nfts"]) == 2


def test_same_validation_errors_as_production(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, max_per_mint=5, clock=clock)
    cases = [
        ({"id": pack_id, "amount": 1}, "user_id is required"),
        ({"id": "nope", "amount": 1, "user_id": "u"}, "VM not found"),
        ({"id": pack_id, "amount": 0, "user_id": "u"}, "Amount must be greater than 0"),
        ({"id": pack_id, "amount": 6, "user_id": "u"}, "Amount must be less than or equal to 5"),
    ]
    for body, error in cases:
        for prefix, key in ((API, partner.key), (SB, partner.sandbox_key)):
            answer = sandbox.post(f"{prefix}/vm/buy/init", headers=headers(key), json=body)
            assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert sandbox.get(f"{SB}/card/nope", headers=headers(partner.sandbox_key)).json() == {
        "error": "Card not found"
    }
    assert sandbox.get(f"{SB}/vm/chase/nope", headers=headers(partner.sandbox_key)).json() == {
        "error": "VM not found"
    }
    malformed = sandbox.post(
        f"{SB}/vm/buyback", headers=headers(partner.sandbox_key), content=b"{not json"
    )
    assert malformed.status_code == 400 and "error" in malformed.json()


def test_sellback_pays_the_price_frozen_at_buy_init(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    pack_id = make_pack(settings, clock=clock)
    nft = buy(sandbox, key, pack_id)["nfts"][0]
    moved = sandbox.post(
        f"/_/control/card/{nft['id']}/fmv", headers=headers(key), json={"fmv": 999.99}
    )
    assert moved.status_code == 200 and moved.json()["fmv"] == 999.99
    inventory = sandbox.get(f"{SB}/inventory/alice", headers=headers(key)).json()["items"]
    assert inventory[0]["buyback_price"] == nft["buyback_price"]
    sold = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": nft["id"]})
    assert sold.json() == {"success": True, "amount": nft["buyback_price"]}
    again = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": nft["id"]})
    assert (again.status_code, again.json()) == (400, {"error": "Item not found"})
    assert inventory_ids(sandbox, key) == set()


def test_recent_pulls_value_is_buyback_price_over_0_85(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    pack_id = make_pack(settings, buyback_bps=9_000, clock=clock)
    other = make_pack(settings, clock=clock)
    nfts = buy(sandbox, key, pack_id, amount=3)["nfts"]
    buy(sandbox, key, other)
    recent = sandbox.get(
        f"{SB}/vm/recent-pulls", headers=headers(key), params={"claw_ids": pack_id}
    ).json()
    assert {r["id"] for r in recent} == {n["id"] for n in nfts}
    for pull in recent:
        assert pull["value"] == round(pull["buyback_price"] / 0.85, 2)
        card = sandbox.get(f"{SB}/card/{pull['id']}", headers=headers(key)).json()
        assert pull["buyback_price"] == round(card["fmv"] * 0.9, 2)
        assert set(pull) == {
            "id",
            "claw_id",
            "claw_slug",
            "value",
            "buyback_price",
            "created_at",
            "metadata",
        }
    assert len(sandbox.get(f"{SB}/vm/recent-pulls", headers=headers(key)).json()) == 4
    limited = sandbox.get(f"{SB}/vm/recent-pulls", headers=headers(key), params={"limit": "1"})
    assert len(limited.json()) == 1
    # sandbox pulls never reach the production feed, production pulls not the sandbox's
    assert sandbox.get(f"{API}/vm/recent-pulls", headers=headers(partner.key)).json() == []
    sandbox.post(
        f"{API}/vm/buy/init",
        headers=headers(partner.key),
        json={"id": other, "amount": 1, "user_id": "p"},
    )
    assert len(sandbox.get(f"{SB}/vm/recent-pulls", headers=headers(key)).json()) == 4


def test_quotes_country_rule_and_destination_as_sent(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    pack_id = make_pack(settings, clock=clock)
    ids = [n["id"] for n in buy(sandbox, key, pack_id, amount=3)["nfts"]]

    zz = {"name": "Ada", "line1": "1 Rue", "city": "Nowhere", "zip": "12345", "country": "ZZ"}
    production_quote = sandbox.post(
        f"{API}/ship/quote",
        headers=headers(partner.key),
        json={"item_ids": ["x"], "destination": zz},
    )
    assert production_quote.json() == {"error": "Item not found"}  # (production checks items first)
    quote = sandbox.post(
        f"{SB}/ship/quote", headers=headers(key), json={"item_ids": [ids[0]], "destination": zz}
    )
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert re.fullmatch(r"quote_[0-9A-Z]{26}", body["session_id"])
    assert parse(body["expires_at"]) - clock.now == timedelta(minutes=15)
    assert [q["id"].rsplit("_rate_", 1)[1] for q in body["quotes"]] == [
        "standard",
        "priority",
        "express",
    ]
    for country in ("USA", "Z", 12):
        answer = sandbox.post(
            f"{SB}/ship/quote",
            headers=headers(key),
            json={"item_ids": [ids[1]], "destination": {**zz, "country": country}},
        )
        if country == 12:
            assert answer.json()["error"] == "Invalid destination address"
        else:
            assert (answer.status_code, answer.json()) == (422, {"error": "Country not supported"})

    order = sandbox.post(
        f"{SB}/ship/request", headers=headers(key), json={"quote_id": body["quotes"][1]["id"]}
    )
    assert order.status_code == 200
    assert re.fullmatch(r"order_[A-Za-z0-9_-]{16}", order.json()["order_id"])
    shown = sandbox.get(f"{SB}/ship/order/{order.json()['order_id']}", headers=headers(key)).json()
    assert shown["destination"] == zz and "zip" in shown["destination"]
    assert shown["amount"] == body["quotes"][1]["amount"] and shown["currency"] == "USD"


def test_address_errors_are_production_ones(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    item = buy(sandbox, key, make_pack(settings, clock=clock))["nfts"][0]["id"]
    sloppy = {**ADDRESS, "state": "california", "postal_code": "94105-1234"}
    for prefix, k in ((API, partner.key), (SB, key)):
        answer = sandbox.post(
            f"{prefix}/ship/quote",
            headers=headers(k),
            json={"item_ids": [item], "destination": sloppy},
        ).json()
        assert answer["error"] == "Invalid destination address"
        assert (
            answer["suggested"]["state"] == "CA" and answer["suggested"]["postal_code"] == "94105"
        )
    missing = sandbox.post(f"{SB}/ship/quote", headers=headers(key), json={"destination": ADDRESS})
    assert missing.json() == {"error": "item_ids is required"}


def test_orders_stay_queued_and_ship_errors_are_4xx(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=2)["nfts"]]
    order_id = ship(sandbox, key, ids)
    assert inventory_ids(sandbox, key) == set()
    clock.advance(days=30)
    order = sandbox.get(f"{SB}/ship/order/{order_id}", headers=headers(key)).json()
    assert order["status"] == "queued"
    assert order["tracking_number"] is None and order["tracking_url"] is None
    assert order["shipped_at"] is None and order["delivered_at"] is None
    assert order["error_message"] is None
    assert sorted(i["item_id"] for i in order["items"]) == sorted(ids)

    shipped_again = sandbox.post(
        f"{SB}/ship/quote", headers=headers(key), json={"item_ids": ids, "destination": ADDRESS}
    )
    assert shipped_again.json() == {"error": "No shippable items in request"}
    assert sandbox.post(
        f"{SB}/vm/buyback", headers=headers(key), json={"item_id": ids[0]}
    ).json() == {"error": "Item not found"}
    for body, error in (
        ({}, "quote_id is required"),
        ({"quote_id": "no-rate-part"}, "quote_id is required"),
        ({"quote_id": "quote_X_rate_standard"}, "Quote expired"),
    ):
        answer = sandbox.post(f"{SB}/ship/request", headers=headers(key), json=body)
        assert (answer.status_code, answer.json()) == (400, {"error": error})
    unknown = sandbox.get(f"{SB}/ship/order/order_nope", headers=headers(key))
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Order not found"})


def test_second_request_on_a_quote_says_item_already_shipped(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=1)["nfts"]]
    quote = sandbox.post(
        f"{SB}/ship/quote", headers=headers(key), json={"item_ids": ids, "destination": ADDRESS}
    ).json()
    first = sandbox.post(
        f"{SB}/ship/request", headers=headers(key), json={"quote_id": quote["quotes"][0]["id"]}
    )
    assert first.status_code == 200
    second = sandbox.post(
        f"{SB}/ship/request", headers=headers(key), json={"quote_id": quote["quotes"][2]["id"]}
    )
    assert (second.status_code, second.json()) == (400, {"error": "Item already shipped"})
