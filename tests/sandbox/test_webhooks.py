"""Sandbox changes send their webhook events to the partner's sandbox endpoints (and only there)."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.sandbox.events import announce_expiring as announce_sandbox_expiring
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner
from tests.receiver import receiver
from tests.sandbox.helpers import API, CONTROL, SB, buy, headers, ship
from tests.webhooks.test_webhooks import deliver


@pytest.fixture
def hook_settings(sandbox_settings: Settings) -> Settings:
    return sandbox_settings.model_copy(
        update={"webhook_allow_private_targets": True, "webhook_poll_seconds": 0}
    )


@pytest.fixture
def hooked(hook_settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(hook_settings, clock=clock, randomness=SeededRandomness(5))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_sandbox_pulls_sellbacks_and_orders_reach_sandbox_endpoints_only(
    hooked: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(hook_settings)
    pack_id = make_pack(hook_settings, clock=clock)
    key = partner.sandbox_key
    with receiver() as sandbox_rx, receiver() as production_rx:
        for base, api_key, rx in ((SB, key, sandbox_rx), (API, partner.key, production_rx)):
            created = hooked.post(
                f"{base}/webhooks/endpoints", headers=headers(api_key), json={"url": rx.url}
            )
            assert created.status_code == 201, created.text

        bought = buy(hooked, key, pack_id, amount=3, user_id="sam")
        first, second, third = (n["id"] for n in bought["nfts"])
        sold = hooked.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": first})
        assert sold.status_code == 200, sold.text
        order_id = ship(hooked, key, [second])
        moved = hooked.post(
            f"{CONTROL}/order/{order_id}/advance",
            headers=headers(key),
            json={"status": "delivered"},
        )
        assert moved.status_code == 200, moved.text
        # A sellback refused by a forced error sends nothing.
        forced = hooked.post(
            f"{CONTROL}/buyback/fail-next",
            headers=headers(key),
            json={"item_id": third, "error": "transaction_failed"},
        )
        assert forced.status_code == 200, forced.text
        refused = hooked.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": third})
        assert refused.status_code == 400

        assert deliver(hook_settings, clock) == 4
        events = [orjson.loads(body) for _, body in sandbox_rx.received]
        assert production_rx.received == []

    # Sent concurrently: in any order.
    by_kind = {(e["type"], e["data"].get("status")): e for e in events}
    assert sorted(by_kind) == [
        ("buyback.completed", None),
        ("pull.fulfilled", None),
        ("shipment.status_changed", "delivered"),
        ("shipment.status_changed", "queued"),
    ]
    assert {e["environment"] for e in events} == {"sandbox"}
    pulled, sellback, queued, delivered = (
        by_kind[kind]["data"]
        for kind in (
            ("pull.fulfilled", None),
            ("buyback.completed", None),
            ("shipment.status_changed", "queued"),
            ("shipment.status_changed", "delivered"),
        )
    )
    assert pulled["session_id"] == bought["session_id"] and pulled["nfts"] == bought["nfts"]
    assert (pulled["user_id"], pulled["claw_id"], pulled["amount"]) == ("sam", pack_id, 3)
    assert sellback == {
        "item_id": first,
        "user_id": "sam",
        "claw_id": pack_id,
        "amount": sold.json()["amount"],
    }
    assert (queued["order_id"], queued["status"], queued["user_id"]) == (order_id, "queued", "sam")
    assert delivered == {**moved.json(), "user_id": "sam"}
    log = hooked.get(f"{SB}/webhooks/deliveries", headers=headers(key)).json()["deliveries"]
    assert len(log) == 4 and {d["status"] for d in log} == {"succeeded"}


def test_sandbox_holdings_announce_buyback_expiring_on_the_keys_clock(
    hooked: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(hook_settings)
    quiet = make_partner(hook_settings)  # no sandbox endpoint: its holdings are not scanned
    pack_id = make_pack(hook_settings, clock=clock)
    key = partner.sandbox_key
    runtime = hooked.app.state.runtime  # type: ignore[attr-defined]

    def scan() -> int:
        return int(hooked.portal.call(announce_sandbox_expiring, runtime))  # type: ignore[union-attr]

    with receiver() as sandbox_rx, receiver() as production_rx:
        for base, api_key, rx in ((SB, key, sandbox_rx), (API, partner.key, production_rx)):
            created = hooked.post(
                f"{base}/webhooks/endpoints",
                headers=headers(api_key),
                json={"url": rx.url, "events": ["buyback.expiring"]},
            )
            assert created.status_code == 201, created.text
        first, second, third = (
            n["id"] for n in buy(hooked, key, pack_id, amount=3, user_id="kim")["nfts"]
        )
        buy(hooked, quiet.sandbox_key, pack_id, amount=1, user_id="kim")
        sold = hooked.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": first})
        assert sold.status_code == 200, sold.text
        ship(hooked, key, [second])

        assert scan() == 0  # seven days left, the lead time is 24 hours
        advanced = hooked.post(
            f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 6, "hours": 1}
        )
        assert advanced.status_code == 200, advanced.text
        assert scan() == 1  # only the item still held (sold and shipping ones are not)
        assert scan() == 0  # once
        assert deliver(hook_settings, clock) == 1
        [event] = [orjson.loads(body) for _, body in sandbox_rx.received]
        assert production_rx.received == []

    [held] = hooked.get(f"{SB}/inventory/kim", headers=headers(key)).json()["items"]
    assert held["id"] == third
    assert event["type"] == "buyback.expiring" and event["environment"] == "sandbox"
    assert event["data"] == {
        "item_id": third,
        "user_id": "kim",
        "claw_id": pack_id,
        "buyback_price": held["buyback_price"],
        "buyback_expires_at": held["buyback_expires_at"],
    }
    # A reset forgets the holdings (and the clock); a holding after it is announced on its own.
    assert hooked.post(f"{CONTROL}/reset", headers=headers(key)).status_code == 200
    assert scan() == 0
    buy(hooked, key, pack_id, amount=1, user_id="kim")
    hooked.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 6, "hours": 1})
    assert scan() == 1
