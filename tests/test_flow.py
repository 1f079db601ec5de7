"""The whole documented flow, as a partner would run it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clawvault.core.runtime import Runtime
from clawvault.db.models import OrderStatus
from clawvault.db.unit import Unit
from clawvault.settings import Settings
from clawvault.shipping.service import advance_order
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner, run

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
API = "/api/v1"


def advance(
    settings: Settings,
    order_id: str,
    status: OrderStatus,
    note: str | None = None,
    clock: FakeClock | None = None,
):  # type: ignore[no-untyped-def]
    async def work(runtime: Runtime):  # type: ignore[no-untyped-def]
        return await advance_order(runtime, Unit(runtime.db), order_id, status, note)

    return run(settings, work, clock)


def test_whole_flow(client: TestClient, settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, slug="flow-pack", clock=clock)
    h = partner.headers

    packs = client.get(f"{API}/vm/available", headers=h).json()
    pack = next(p for p in packs if p["id"] == pack_id)
    assert pack["in_stock"] is True and pack["enable"] is True
    assert pack["mint_price"] == 10 and pack["buyback_percent"] == 0.85
    assert [t["id"] for t in pack["rarity_distribution"]] == [1, 2, 3]
    assert ISO.match(pack["ev_updated_at"])
    assert pack["min_ev"] <= pack["ev"] <= pack["max_ev"]

    bought = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 3, "user_id": "alice"}
    )
    assert bought.status_code == 200, bought.text
    session_id = bought.json()["session_id"]
    nfts = bought.json()["nfts"]
    assert len(nfts) == 3 and len({n["id"] for n in nfts}) == 3
    item = nfts[0]
    assert item["claw_id"] == pack_id and item["claw_slug"] == "flow-pack"
    assert ISO.match(item["purchased_at"]) and ISO.match(item["buyback_expires_at"])
    assert set(item["content"]) == {"metadata", "links"}
    assert item["content"]["links"]["image"] == item["content"]["metadata"]["image"]

    status = client.post(f"{API}/vm/buy/status", headers=h, json={"session_id": session_id})
    assert status.status_code == 200
    result = status.json()["result"]
    assert result["session_id"] == session_id and result["user_id"] == "alice"
    assert [n["id"] for n in result["nfts"]] == [n["id"] for n in nfts]
    assert result["public_id"].startswith("_") and result["tx_hash"]

    inventory = client.get(f"{API}/inventory/alice", headers=h).json()
    assert inventory["user_id"] == "alice"
    assert {i["id"] for i in inventory["items"]} == {n["id"] for n in nfts}

    card = client.get(f"{API}/card/{item['id']}", headers=h).json()
    assert card["id"] == item["id"] and card["metadata"]["name"] == card["name"]
    assert round(card["fmv"] * 0.85, 2) == item["buyback_price"]

    recent = client.get(f"{API}/vm/recent-pulls", headers=h, params={"claw_ids": pack_id}).json()
    assert {r["id"] for r in recent} == {n["id"] for n in nfts}
    assert set(recent[0]) == {
        "id",
        "claw_id",
        "claw_slug",
        "value",
        "buyback_price",
        "created_at",
        "metadata",
    }

    sold = client.post(f"{API}/vm/buyback", headers=h, json={"item_id": nfts[0]["id"]})
    assert sold.status_code == 200
    assert sold.json() == {"success": True, "amount": nfts[0]["buyback_price"]}
    after = client.get(f"{API}/inventory/alice", headers=h).json()["items"]
    assert nfts[0]["id"] not in {i["id"] for i in after}

    to_ship = [nfts[1]["id"], nfts[2]["id"]]
    quote = client.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": to_ship, "destination": ADDRESS}
    )
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert re.fullmatch(r"quote_[0-9A-Z]{26}", body["session_id"])
    assert [q["id"] for q in body["quotes"]] == [
        f"{body['session_id']}_rate_{key}" for key in ("standard", "priority", "express")
    ]
    standard = body["quotes"][0]
    assert standard["carrier"] == "USPS" and standard["service"] == "Ground Advantage"

    shipped = client.post(f"{API}/ship/request", headers=h, json={"quote_id": standard["id"]})
    assert shipped.status_code == 200
    order_id = shipped.json()["order_id"]
    assert re.fullmatch(r"order_[A-Za-z0-9_-]{16}", order_id)
    assert shipped.json()["status"] == "success"
    assert client.get(f"{API}/inventory/alice", headers=h).json()["items"] == []

    order = client.get(f"{API}/ship/order/{order_id}", headers=h).json()
    assert order["status"] == "queued" and order["currency"] == "USD"
    assert order["destination"] == ADDRESS
    assert order["amount"] == standard["amount"]
    assert order["tracking_number"] is None and order["shipped_at"] is None
    assert sorted(i["item_id"] for i in order["items"]) == sorted(to_ship)

    advance(settings, order_id, OrderStatus.LABEL_CREATED)
    order = client.get(f"{API}/ship/order/{order_id}", headers=h).json()
    assert order["status"] == "label_created" and order["tracking_number"]
    assert order["tracking_url"].endswith(order["tracking_number"])
    advance(settings, order_id, OrderStatus.DELIVERED)
    order = client.get(f"{API}/ship/order/{order_id}", headers=h).json()
    assert order["status"] == "delivered"
    assert ISO.match(order["shipped_at"]) and ISO.match(order["delivered_at"])

    # once out of the platform, nothing more can happen to the cards
    again = client.post(f"{API}/vm/buyback", headers=h, json={"item_id": to_ship[0]})
    assert again.json() == {"error": "Item not found"}


def test_cancel_returns_items_and_refunds(
    clock: FakeClock, client: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    h = partner.headers
    nfts = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 2, "user_id": "bob"}
    ).json()["nfts"]
    ids = [n["id"] for n in nfts]
    quote = client.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": ids, "destination": ADDRESS}
    ).json()
    order_id = client.post(
        f"{API}/ship/request", headers=h, json={"quote_id": quote["quotes"][1]["id"]}
    ).json()["order_id"]
    assert client.get(f"{API}/inventory/bob", headers=h).json()["items"] == []

    advance(settings, order_id, OrderStatus.PROCESSING)
    advance(settings, order_id, OrderStatus.CANCELLED, "Address could not be verified")
    order = client.get(f"{API}/ship/order/{order_id}", headers=h).json()
    assert order["status"] == "cancelled"
    assert order["error_message"] == "Address could not be verified"
    assert {i["id"] for i in client.get(f"{API}/inventory/bob", headers=h).json()["items"]} == set(
        ids
    )
    # the returned cards can be sold back or shipped again
    assert client.post(f"{API}/vm/buyback", headers=h, json={"item_id": ids[0]}).status_code == 200
    quote = client.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": [ids[1]], "destination": ADDRESS}
    ).json()
    again = client.post(
        f"{API}/ship/request", headers=h, json={"quote_id": quote["quotes"][0]["id"]}
    )
    assert again.status_code == 200


def test_partners_never_see_each_other(
    clock: FakeClock, client: TestClient, settings: Settings
) -> None:
    a, b = make_partner(settings), make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    bought = client.post(
        f"{API}/vm/buy/init",
        headers=a.headers,
        json={"id": pack_id, "amount": 1, "user_id": "same-user"},
    ).json()
    item_id = bought["nfts"][0]["id"]
    assert client.get(f"{API}/inventory/same-user", headers=b.headers).status_code == 404
    status = client.post(
        f"{API}/vm/buy/status", headers=b.headers, json={"session_id": bought["session_id"]}
    )
    assert status.json() == {"error": "Transaction failed"}
    assert client.post(
        f"{API}/vm/buyback", headers=b.headers, json={"item_id": item_id}
    ).json() == {"error": "Item not found"}
    quote = client.post(
        f"{API}/ship/quote", headers=b.headers, json={"item_ids": [item_id], "destination": ADDRESS}
    )
    assert quote.json() == {"error": "Item not found"}
    mine = client.post(
        f"{API}/ship/quote", headers=a.headers, json={"item_ids": [item_id], "destination": ADDRESS}
    ).json()
    stolen = client.post(
        f"{API}/ship/request", headers=b.headers, json={"quote_id": mine["quotes"][0]["id"]}
    )
    assert stolen.json() == {"error": "Quote expired"}
    order_id = client.post(
        f"{API}/ship/request", headers=a.headers, json={"quote_id": mine["quotes"][0]["id"]}
    ).json()["order_id"]
    assert client.get(f"{API}/ship/order/{order_id}", headers=b.headers).status_code == 404
    # the same user id under partner B is a different user
    client.post(
        f"{API}/vm/buy/init",
        headers=b.headers,
        json={"id": pack_id, "amount": 1, "user_id": "same-user"},
    )
    items_b = client.get(f"{API}/inventory/same-user", headers=b.headers).json()["items"]
    assert item_id not in {i["id"] for i in items_b}
