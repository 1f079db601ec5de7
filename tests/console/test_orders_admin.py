"""The operator's order actions in the admin API (the console uses the same services)."""

from __future__ import annotations

import orjson

from clawvault.settings import Settings
from tests.console.helpers import API, console, pull_and_ship
from tests.factories import FakeClock
from tests.operator import ADMIN, ADMIN_API
from tests.receiver import receiver
from tests.webhooks.test_webhooks import deliver


def test_advance_and_track_orders_through_the_admin_api(
    settings: Settings, clock: FakeClock
) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        url = f"{ADMIN_API}/orders/{shop.order_id}"
        assert client.post(f"{url}/advance", json={"to": "shipped"}).status_code == 401
        bad = client.post(f"{url}/advance", headers=ADMIN, json={"to": "lost"})
        assert bad.status_code == 400 and "to must be one of" in bad.json()["error"]
        missing = client.post(
            f"{ADMIN_API}/orders/order_x/advance", headers=ADMIN, json={"to": "shipped"}
        )
        assert missing.status_code == 404
        tracked = client.post(
            f"{url}/tracking",
            headers=ADMIN,
            json={"carrier": "FedEx", "tracking_number": "7712 3456"},
        )
        assert tracked.status_code == 200, tracked.text
        assert tracked.json()["status"] == "label_created"
        assert tracked.json()["tracking_number"] == "77123456"
        shipped = client.post(f"{url}/advance", headers=ADMIN, json={"to": "shipped"})
        assert shipped.status_code == 200 and shipped.json()["tracking_number"] == "77123456"
        seen = client.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
        assert seen["status"] == "shipped" and seen["carrier"] == "FedEx"
        late = client.post(f"{url}/advance", headers=ADMIN, json={"to": "cancelled", "note": "x"})
        assert late.status_code == 409
        done = client.post(f"{url}/advance", headers=ADMIN, json={"to": "delivered"})
        assert done.json()["status"] == "delivered"
        other = pull_and_ship(client, settings, clock)
        dhl = client.post(
            f"{ADMIN_API}/orders/{other.order_id}/tracking",
            headers=ADMIN,
            json={"carrier": "DHL Express", "tracking_number": "JD0146"},
        ).json()
        assert dhl["carrier"] == "DHL Express" and "/dhl%20express/JD0146" in dhl["tracking_url"]
        again = client.post(
            f"{url}/tracking",
            headers=ADMIN,
            json={"carrier": "FedEx", "tracking_number": "77123457"},
        )
        assert again.status_code == 409


def test_a_replaced_tracking_number_reaches_the_partner(
    settings: Settings, clock: FakeClock
) -> None:
    hooked = settings.model_copy(
        update={"webhook_allow_private_targets": True, "webhook_poll_seconds": 0}
    )
    with console(hooked, clock) as (client, hooked), receiver() as rx:
        shop = pull_and_ship(client, hooked, clock)
        created = client.post(
            f"{API}/webhooks/endpoints", headers=shop.headers, json={"url": rx.url}
        )
        assert created.status_code == 201, created.text
        url = f"{ADMIN_API}/orders/{shop.order_id}"
        assert (
            client.post(f"{url}/advance", headers=ADMIN, json={"to": "shipped"}).status_code == 200
        )
        fixed = client.post(
            f"{url}/tracking", headers=ADMIN, json={"carrier": "UPS", "tracking_number": "1Z999"}
        )
        assert fixed.status_code == 200 and fixed.json()["status"] == "shipped"
        assert deliver(hooked, clock) == 2
        events = [orjson.loads(body)["data"] for _, body in rx.received]
    latest = next(e for e in events if e["tracking_number"] == "1Z999")
    assert (latest["status"], latest["carrier"], latest["user_id"]) == ("shipped", "UPS", "alice")
