"""The sandbox controls under /_/control."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.sandbox.helpers import API, CONTROL, SB, buy, headers, inventory_ids, ship

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_controls_take_sandbox_keys_only(sandbox: TestClient, settings: Settings) -> None:
    partner = make_partner(settings)
    for method, path in (
        ("post", "/reset"),
        ("get", "/clock"),
        ("post", "/clock/advance"),
        ("post", "/card/x/fmv"),
        ("post", "/order/order_x/advance"),
        ("post", "/buyback/fail-next"),
    ):
        for key_headers in ({}, headers(partner.key), headers("sandbox-unknown")):
            answer = getattr(sandbox, method)(f"{CONTROL}{path}", headers=key_headers)
            assert (answer.status_code, answer.json()) == (401, {"error": "Invalid API key"})
    assert sandbox.post("/control/reset", headers=headers(partner.key)).status_code == 404


def test_clock_moves_forward_and_reaches_sellback_expiry(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=2)["nfts"]]
    now = sandbox.get(f"{CONTROL}/clock", headers=headers(key)).json()
    assert now == {"now": now["now"], "offset_seconds": 0} and parse(now["now"]) == clock.now

    moved = sandbox.post(
        f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 6, "hours": 23}
    )
    assert moved.status_code == 200
    assert parse(moved.json()["now"]) == clock.now + timedelta(days=6, hours=23)
    ok = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": ids[0]})
    assert ok.status_code == 200

    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"minutes": 60})
    expired = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": ids[1]})
    assert (expired.status_code, expired.json()) == (400, {"error": "Item has expired"})
    assert inventory_ids(sandbox, key) == {ids[1]}  # an expired item stays in the inventory

    # new pulls are stamped with the sandbox clock
    later = buy(sandbox, key, make_pack(settings, clock=clock))["nfts"][0]
    assert parse(later["purchased_at"]) == clock.now + timedelta(days=7)

    for body in ({}, {"seconds": -1}, {"weeks": 1}, {"days": "1"}, {"days": True}):
        bad = sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json=body)
        assert bad.status_code == 400 and bad.json()["error"]


def test_clock_reaches_quote_expiry(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=2)["nfts"]]

    def quote(item_id: str) -> dict[str, str]:
        body = sandbox.post(
            f"{SB}/ship/quote",
            headers=headers(key),
            json={"item_ids": [item_id], "destination": ADDRESS},
        ).json()
        return {"quote_id": body["quotes"][0]["id"]}

    fresh, stale = quote(ids[0]), quote(ids[1])
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"seconds": 899})
    assert sandbox.post(f"{SB}/ship/request", headers=headers(key), json=fresh).status_code == 200
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"seconds": 1})
    answer = sandbox.post(f"{SB}/ship/request", headers=headers(key), json=stale)
    assert (answer.status_code, answer.json()) == (400, {"error": "Quote expired"})
    assert ids[1] in inventory_ids(sandbox, key)


def test_set_fmv_changes_this_sandbox_only_and_moves_tiers(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    # tier 1 ($1-$5) has no card; tier 2 ($5-$20) has two
    pack_id = make_pack(
        settings, tiers=((100, 500, 50.0), (500, 2_000, 50.0)), cards_per_tier=(0, 2), clock=clock
    )
    listing = sandbox.get(f"{API}/vm/chase/{pack_id}", headers=headers(partner.key)).json()
    first, second = sorted(c["id"] for c in listing)

    moved = sandbox.post(f"{CONTROL}/card/{first}/fmv", headers=headers(key), json={"fmv": 2})
    assert moved.status_code == 200
    assert moved.json()["id"] == first and moved.json()["fmv"] == 2
    assert sandbox.get(f"{SB}/card/{first}", headers=headers(key)).json()["fmv"] == 2
    production = sandbox.get(f"{API}/card/{first}", headers=headers(partner.key)).json()
    assert production["fmv"] != 2

    nfts = {n["id"]: n for n in buy(sandbox, key, pack_id, amount=2)["nfts"]}
    assert set(nfts) == {first, second}
    assert nfts[first]["buyback_price"] == 1.7  # $2 × 0.85, frozen at the pull
    sold = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": first})
    assert sold.json() == {"success": True, "amount": 1.7}
    sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": second})

    # an FMV outside every band takes the card out of the sandbox's draws
    sandbox.post(f"{CONTROL}/card/{second}/fmv", headers=headers(key), json={"fmv": "0.50"})
    assert len(buy(sandbox, key, pack_id, amount=1)["nfts"]) == 1
    short = sandbox.post(
        f"{SB}/vm/buy/init", headers=headers(key), json={"id": pack_id, "amount": 1, "user_id": "u"}
    )
    assert short.json() == {"error": "Claw machine is out of stock"}

    unknown = sandbox.post(f"{CONTROL}/card/nope/fmv", headers=headers(key), json={"fmv": 1})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Card not found"})
    for fmv in (-1, "abc", None, True, 1.27e308, "1e30", 10_000_000_000.01):
        bad = sandbox.post(f"{CONTROL}/card/{first}/fmv", headers=headers(key), json={"fmv": fmv})
        assert bad.status_code == 400
        assert bad.json() == {"error": "fmv must be a number of USD from 0 to 10000000000"}
    top = sandbox.post(
        f"{CONTROL}/card/{first}/fmv", headers=headers(key), json={"fmv": 10_000_000_000}
    )
    assert top.status_code == 200 and top.json()["fmv"] == 10_000_000_000


def test_orders_move_through_every_status(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=2)["nfts"]]
    order_id = ship(sandbox, key, ids)

    def advance(status: str, note: str | None = None) -> dict[str, object]:
        answer = sandbox.post(
            f"{CONTROL}/order/{order_id}/advance",
            headers=headers(key),
            json={"status": status, "note": note},
        )
        assert answer.status_code == 200, answer.text
        shown = sandbox.get(f"{SB}/ship/order/{order_id}", headers=headers(key)).json()
        assert shown == answer.json()
        return shown

    assert advance("processing")["tracking_number"] is None
    labelled = advance("label_created")
    assert labelled["status"] == "label_created" and labelled["tracking_number"]
    assert str(labelled["tracking_url"]).endswith(str(labelled["tracking_number"]))
    assert labelled["shipped_at"] is None
    shipped = advance("shipped")
    assert ISO.match(str(shipped["shipped_at"])) and shipped["delivered_at"] is None
    delivered = advance("delivered")
    assert ISO.match(str(delivered["delivered_at"])) and delivered["error_message"] is None
    assert inventory_ids(sandbox, key) == set()
    gone = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": ids[0]})
    assert gone.json() == {"error": "Item not found"}
    again = sandbox.post(
        f"{CONTROL}/order/{order_id}/advance", headers=headers(key), json={"status": "cancelled"}
    )
    assert again.status_code == 409 and "delivered" in again.json()["error"]


@pytest.mark.parametrize("stop", ["cancelled", "failed"])
def test_stopped_orders_return_their_items(
    clock: FakeClock, sandbox: TestClient, settings: Settings, stop: str
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    ids = [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock), amount=2)["nfts"]]
    order_id = ship(sandbox, key, ids)
    sandbox.post(
        f"{CONTROL}/order/{order_id}/advance",
        headers=headers(key),
        json={"status": "label_created"},
    )
    stopped = sandbox.post(
        f"{CONTROL}/order/{order_id}/advance",
        headers=headers(key),
        json={"status": stop, "note": "Carrier refused the parcel"},
    ).json()
    assert stopped["status"] == stop
    assert stopped["error_message"] == "Carrier refused the parcel"
    assert inventory_ids(sandbox, key) == set(ids)
    assert (
        sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": ids[0]}).status_code
        == 200
    )
    assert ship(sandbox, key, ids[1:])

    default_note = ship(
        sandbox, key, [n["id"] for n in buy(sandbox, key, make_pack(settings, clock=clock))["nfts"]]
    )
    shown = sandbox.post(
        f"{CONTROL}/order/{default_note}/advance", headers=headers(key), json={"status": stop}
    ).json()
    assert shown["error_message"]
    for body in ({"status": "lost"}, {}, {"status": "shipped", "note": 5}):
        bad = sandbox.post(
            f"{CONTROL}/order/{default_note}/advance", headers=headers(key), json=body
        )
        assert bad.status_code == 400
    unknown = sandbox.post(
        f"{CONTROL}/order/order_nope/advance", headers=headers(key), json={"status": "shipped"}
    )
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Order not found"})


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        ("transaction_failed", 400, "Transaction failed"),
        ("active_buyback_session", 400, "Item already has an active buyback session"),
        ("already_processing", 429, "A buyback request for this item is already being processed"),
    ],
)
def test_next_sellback_answers_a_forced_production_error(
    clock: FakeClock, sandbox: TestClient, settings: Settings, error: str, status: int, message: str
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    nft = buy(sandbox, key, make_pack(settings, clock=clock))["nfts"][0]
    forced = sandbox.post(
        f"{CONTROL}/buyback/fail-next",
        headers=headers(key),
        json={"item_id": nft["id"], "error": error},
    )
    assert forced.status_code == 200
    assert forced.json() == {
        "item_id": nft["id"],
        "next_sellback": {"status": status, "error": message},
    }

    failed = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": nft["id"]})
    assert (failed.status_code, failed.json()) == (status, {"error": message})
    assert inventory_ids(sandbox, key) == {nft["id"]}  # nothing happened to the item
    sold = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": nft["id"]})
    assert sold.json() == {"success": True, "amount": nft["buyback_price"]}


def test_forcing_an_error_needs_a_held_item_and_a_known_error(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    nft = buy(sandbox, key, make_pack(settings, clock=clock))["nfts"][0]
    unknown_error = sandbox.post(
        f"{CONTROL}/buyback/fail-next",
        headers=headers(key),
        json={"item_id": nft["id"], "error": "boom"},
    )
    assert (
        unknown_error.status_code == 400 and "transaction_failed" in unknown_error.json()["error"]
    )
    not_held = sandbox.post(
        f"{CONTROL}/buyback/fail-next",
        headers=headers(key),
        json={"item_id": "nope", "error": "transaction_failed"},
    )
    assert not_held.json() == {"error": "Item not found"}


def test_reset_forgets_everything_of_this_key_only(
    sandbox: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    key, other = partner.sandbox_key, make_partner(settings).sandbox_key
    pack_id = make_pack(settings, clock=clock)
    bought = buy(sandbox, key, pack_id, amount=3)
    ids = [n["id"] for n in bought["nfts"]]
    order_id = ship(sandbox, key, ids[:1])
    sandbox.post(f"{CONTROL}/card/{ids[1]}/fmv", headers=headers(key), json={"fmv": 77})
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 2})
    sandbox.post(
        f"{CONTROL}/buyback/fail-next",
        headers=headers(key),
        json={"item_id": ids[2], "error": "transaction_failed"},
    )
    kept = buy(sandbox, other, pack_id, amount=1, user_id="alice")

    reset = sandbox.post(f"{CONTROL}/reset", headers=headers(key))
    assert (reset.status_code, reset.json()) == (200, {"reset": True})
    h = headers(key)
    assert sandbox.get(f"{SB}/inventory/alice", headers=h).json() == {"error": "User not found"}
    status = sandbox.post(
        f"{SB}/vm/buy/status", headers=h, json={"session_id": bought["session_id"]}
    )
    assert status.json() == {"error": "Transaction failed"}
    assert sandbox.get(f"{SB}/ship/order/{order_id}", headers=h).status_code == 404
    assert sandbox.get(f"{SB}/vm/recent-pulls", headers=h).json() == []
    assert sandbox.get(f"{CONTROL}/clock", headers=h).json()["offset_seconds"] == 0
    assert sandbox.get(f"{SB}/card/{ids[1]}", headers=h).json()["fmv"] != 77

    assert inventory_ids(sandbox, other) == {kept["nfts"][0]["id"]}
