"""Simulated fulfilment: open orders move one status per waited step, as the partner sees them."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.models import OrderStatus
from clawvault.settings import Settings
from clawvault.shipping.simulation import simulate_once, simulate_turn
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner, run
from tests.test_flow import advance

API = "/api/v1"


def place_order(client: TestClient, headers: dict[str, str], pack_id: str, user: str) -> str:
    bought = client.post(
        f"{API}/vm/buy/init", headers=headers, json={"id": pack_id, "amount": 1, "user_id": user}
    )
    assert bought.status_code == 200, bought.text
    item_id = bought.json()["nfts"][0]["id"]
    quote = client.post(
        f"{API}/ship/quote", headers=headers, json={"item_ids": [item_id], "destination": ADDRESS}
    ).json()
    shipped = client.post(
        f"{API}/ship/request", headers=headers, json={"quote_id": quote["quotes"][0]["id"]}
    )
    assert shipped.status_code == 200, shipped.text
    return str(shipped.json()["order_id"])


def test_open_orders_move_one_step_per_waited_step(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    h = partner.headers
    moving = place_order(client, h, pack_id, "alice")
    cancelled = place_order(client, h, pack_id, "bob")
    advance(settings, cancelled, OrderStatus.CANCELLED, "customer changed their mind", clock)
    simulated = settings.model_copy(update={"fulfilment_simulation_minutes": 10})

    def turn() -> int:
        async def work(runtime: Runtime) -> int:
            return await simulate_turn(runtime)

        return run(simulated, work, clock)

    def status(order_id: str) -> dict[str, object]:
        answer = client.get(f"{API}/ship/order/{order_id}", headers=h)
        assert answer.status_code == 200
        return dict(answer.json())

    clock.advance(minutes=9)
    assert turn() == 0 and status(moving)["status"] == "queued"
    seen = []
    for _ in range(4):
        clock.advance(minutes=10)
        assert turn() == 1
        seen.append(status(moving)["status"])
    assert seen == ["processing", "label_created", "shipped", "delivered"]
    order = status(moving)
    assert order["tracking_number"] and order["shipped_at"] and order["delivered_at"]
    clock.advance(minutes=60)
    assert turn() == 0  # delivered and cancelled orders stay as they are
    assert status(moving)["status"] == "delivered" and status(cancelled)["status"] == "cancelled"
    assert client.get(f"{API}/inventory/bob", headers=h).json()["items"]  # back to bob


def test_an_order_the_operator_moved_waits_again(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    order_id = place_order(client, partner.headers, make_pack(settings, clock=clock), "carol")
    simulated = settings.model_copy(update={"fulfilment_simulation_minutes": 10})
    clock.advance(minutes=10)
    advance(settings, order_id, OrderStatus.LABEL_CREATED, clock=clock)  # it waits anew

    async def work(runtime: Runtime) -> tuple[bool, bool]:
        return await simulate_once(runtime), await simulate_once(runtime)

    def status() -> str:
        answer = client.get(f"{API}/ship/order/{order_id}", headers=partner.headers)
        return str(answer.json()["status"])

    # One turn per interval however many processes ask: the second claim finds it taken.
    assert run(simulated, work, clock) == (True, False)
    assert status() == "label_created"
    clock.advance(minutes=10)
    assert run(simulated, work, clock) == (True, False)
    assert status() == "shipped"


def test_the_server_runs_it_when_configured(settings: Settings) -> None:
    simulated = settings.model_copy(update={"fulfilment_simulation_minutes": 0.01})
    partner = make_partner(simulated)
    pack_id = make_pack(simulated, clock=utcnow)
    with TestClient(create_app(simulated), raise_server_exceptions=False) as live:
        order_id = place_order(live, partner.headers, pack_id, "dave")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            order = live.get(f"{API}/ship/order/{order_id}", headers=partner.headers).json()
            if order["status"] != "queued":
                break
            time.sleep(0.2)
    assert order["status"] in {"processing", "label_created", "shipped", "delivered"}
