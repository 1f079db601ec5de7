"""The sandbox never changes production, and sandbox keys never see each other."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.sandbox.helpers import (
    API,
    CONTROL,
    SB,
    buy,
    headers,
    inventory_ids,
    new_sandbox_key,
    production_snapshot,
    sandbox_row_count,
    ship,
)


def test_long_sandbox_session_leaves_production_byte_for_byte(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    packs = [
        make_pack(settings, cards_per_tier=(10, 6, 4), clock=clock),
        make_pack(settings, card_type="ebay", clock=clock),
    ]
    # some production activity first, so there is production state to disturb
    prod_pull = sandbox.post(
        f"{API}/vm/buy/init",
        headers=headers(partner.key),
        json={"id": packs[0], "amount": 2, "user_id": "alice"},
    ).json()
    prod, prod_session = prod_pull["nfts"], prod_pull["session_id"]
    production_receipt = sandbox.get(
        f"{API}/fairness/receipts/{prod_session}", headers=headers(partner.key)
    )
    assert production_receipt.status_code == 200
    before = production_snapshot(settings)

    key = partner.sandbox_key
    bought: list[str] = []
    for round_number in range(6):
        for pack_id in packs:
            nfts = buy(sandbox, key, pack_id, amount=2, user_id=f"user-{round_number % 2}")["nfts"]
            bought += [n["id"] for n in nfts]
    assert len(bought) == 24
    sold = bought[::3]
    for item_id in sold:
        answer = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": item_id})
        assert answer.status_code == 200, answer.text
    remaining = [i for i in bought if i not in sold]
    user0 = sorted(inventory_ids(sandbox, key, "user-0"))
    user1 = sorted(inventory_ids(sandbox, key, "user-1"))
    assert set(user0) | set(user1) == set(remaining)
    order_a = ship(sandbox, key, user0[:3])
    order_b = ship(sandbox, key, user1[:2], {**ADDRESS, "country": "ZZ", "state": None})
    sandbox.post(
        f"{CONTROL}/order/{order_a}/advance", headers=headers(key), json={"status": "delivered"}
    )
    sandbox.post(
        f"{CONTROL}/order/{order_b}/advance", headers=headers(key), json={"status": "cancelled"}
    )
    sandbox.post(f"{CONTROL}/card/{prod[0]['id']}/fmv", headers=headers(key), json={"fmv": 1})
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 8})
    expired = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": user1[0]})
    assert expired.json() == {"error": "Item has expired"}
    sandbox.post(f"{CONTROL}/reset", headers=headers(key))
    last = buy(sandbox, key, packs[0], amount=3)
    # the provably-fair additions: the key's own seeds and receipts, never production's
    for method, path, body in (
        ("GET", "/fairness/users/alice", None),
        ("POST", "/fairness/users/alice/client-seed", {"client_seed": "abc"}),
        ("POST", "/fairness/users/alice/rotate", None),
    ):
        answer = sandbox.request(method, f"{SB}{path}", headers=headers(key), json=body)
        assert answer.status_code == 200, answer.text
    own = sandbox.get(f"{SB}/fairness/receipts/{last['session_id']}", headers=headers(key))
    assert own.status_code == 200 and len(own.json()["cards"]) == 3
    receipt = sandbox.get(f"{SB}/fairness/receipts/{prod_session}", headers=headers(key))
    assert (receipt.status_code, receipt.json()) == (404, {"error": "Receipt not found"})
    odds = sandbox.get(f"{SB}/vm/{packs[0]}/odds", headers=headers(key))
    assert odds.status_code == 200

    assert production_snapshot(settings) == before
    # and production still works as before: its cards, its user, its prices
    items = sandbox.get(f"{API}/inventory/alice", headers=headers(partner.key)).json()["items"]
    assert {i["id"] for i in items} == {n["id"] for n in prod}
    card = sandbox.get(f"{API}/card/{prod[0]['id']}", headers=headers(partner.key)).json()
    assert card["fmv"] != 1


def test_memory_mode_writes_nothing_in_the_main_database(
    clock: FakeClock, sandbox: TestClient, settings: Settings, sandbox_settings: Settings
) -> None:
    partner = make_partner(settings)
    buy(sandbox, partner.sandbox_key, make_pack(settings, clock=clock), amount=2)
    stored = sandbox_row_count(settings)
    assert (stored > 0) is sandbox_settings.sandbox_persist


def test_two_sandbox_keys_see_nothing_of_each_other(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner, other_partner = make_partner(settings), make_partner(settings)
    a = partner.sandbox_key
    b = new_sandbox_key(settings, partner.name)  # same partner, another key
    c = other_partner.sandbox_key
    pack_id = make_pack(settings, cards_per_tier=(1, 1, 1), clock=clock)
    bought = buy(sandbox, a, pack_id, amount=3, user_id="same-user")
    ids = [n["id"] for n in bought["nfts"]]
    quote = sandbox.post(
        f"{SB}/ship/quote", headers=headers(a), json={"item_ids": ids[:1], "destination": ADDRESS}
    ).json()
    order_id = ship(sandbox, a, ids[1:2])
    sandbox.post(f"{CONTROL}/card/{ids[2]}/fmv", headers=headers(a), json={"fmv": 4242})
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(a), json={"hours": 5})

    for other in (b, c):
        h = headers(other)
        assert sandbox.get(f"{SB}/inventory/same-user", headers=h).json() == {
            "error": "User not found"
        }
        status = sandbox.post(
            f"{SB}/vm/buy/status", headers=h, json={"session_id": bought["session_id"]}
        )
        assert status.json() == {"error": "Transaction failed"}
        sell = sandbox.post(f"{SB}/vm/buyback", headers=h, json={"item_id": ids[0]})
        assert sell.json() == {"error": "Item not found"}
        q = sandbox.post(
            f"{SB}/ship/quote", headers=h, json={"item_ids": ids[:1], "destination": ADDRESS}
        )
        assert q.json() == {"error": "Item not found"}
        stolen = sandbox.post(
            f"{SB}/ship/request", headers=h, json={"quote_id": quote["quotes"][0]["id"]}
        )
        assert stolen.json() == {"error": "Quote expired"}
        assert sandbox.get(f"{SB}/ship/order/{order_id}", headers=h).status_code == 404
        advance = sandbox.post(
            f"{CONTROL}/order/{order_id}/advance", headers=h, json={"status": "shipped"}
        )
        assert advance.status_code == 404
        assert sandbox.get(f"{SB}/vm/recent-pulls", headers=h).json() == []
        assert sandbox.get(f"{SB}/card/{ids[2]}", headers=h).json()["fmv"] != 4242
        assert sandbox.get(f"{CONTROL}/clock", headers=h).json()["offset_seconds"] == 0
        # the same cards are free for this key: a key's holdings reserve nothing for others
        mine = buy(sandbox, other, pack_id, amount=3, user_id="same-user")["nfts"]
        assert {n["id"] for n in mine} == set(ids)
    # and the production key of the same partner sees no sandbox user
    production = sandbox.get(f"{API}/inventory/same-user", headers=headers(partner.key))
    assert production.status_code == 404
    assert sandbox.get(f"{SB}/card/{ids[2]}", headers=headers(a)).json()["fmv"] == 4242
