"""Webhooks: endpoints, signed deliveries, retries with backoff, the outbox, the log, replays."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.db.models import OrderStatus
from clawvault.db.unit import Unit
from clawvault.settings import Settings
from clawvault.shipping.service import advance_order
from clawvault.webhooks.domain import retry_span_seconds
from clawvault.webhooks.worker import announce_expiring, deliver_due
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner, run
from tests.receiver import receiver

API = "/api/v1"


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_allow_private_targets": True, "webhook_poll_seconds": 0}
    )


@pytest.fixture
def hook_client(hook_settings: Settings, clock: FakeClock):  # type: ignore[no-untyped-def]
    app = create_app(hook_settings, clock=clock, randomness=SeededRandomness(7))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def deliver(settings: Settings, clock: FakeClock) -> int:
    async def work(runtime: Runtime) -> int:
        return await deliver_due(runtime)

    return run(settings, work, clock)


def readme_verifier():  # type: ignore[no-untyped-def]
    """The documentation's snippet (docs/integrating/webhooks.md), run as written."""
    text = (Path(__file__).parents[2] / "docs" / "integrating" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(# verify-webhook.*?)```", text, re.S)
    assert snippet, "the webhooks page has the verification snippet"
    scope: dict[str, object] = {}
    exec(snippet.group(1), scope)
    return scope["verify"]


def test_signed_delivery_verifies_with_the_documented_recipe(
    hook_client: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    # The recipe checks the signature's time against the real clock, so the app runs on the
    # real time from the start (its events then fall due on it, a year back as well).
    clock.now = clock.now.__class__.fromtimestamp(time.time(), clock.now.tzinfo)
    partner = make_partner(hook_settings)
    pack_id = make_pack(hook_settings, clock=clock)
    with receiver() as rx:
        created = hook_client.post(
            f"{API}/webhooks/endpoints", headers=partner.headers, json={"url": rx.url}
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        listed = hook_client.get(f"{API}/webhooks/endpoints", headers=partner.headers).json()
        assert [e["id"] for e in listed["endpoints"]] == [created.json()["id"]]
        assert "secret" not in listed["endpoints"][0]

        bought = hook_client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 2, "user_id": "alice"},
        ).json()
        assert deliver(hook_settings, clock) == 1
        headers, body = rx.received[0]
    event = orjson.loads(body)
    assert event["type"] == "pull.fulfilled"
    assert event["data"]["session_id"] == bought["session_id"]
    assert [n["id"] for n in event["data"]["nfts"]] == [n["id"] for n in bought["nfts"]]
    assert headers["clawvault-event-id"] == event["id"]
    # The recipe: HMAC-SHA256(secret, f"{t}.{body}"), within the replay window.
    parts = dict(p.split("=", 1) for p in headers["clawvault-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())
    verify = readme_verifier()
    assert verify(body, headers["clawvault-signature"], secret) is True
    assert verify(body + b" ", headers["clawvault-signature"], secret) is False
    assert verify(body, headers["clawvault-signature"], "whsec_other") is False
    old = f"t={int(parts['t']) - 600},v1={parts['v1']}"
    assert verify(body, old, secret) is False  # outside the replay window

    log = hook_client.get(f"{API}/webhooks/deliveries", headers=partner.headers).json()
    assert log["deliveries"][0]["status"] == "succeeded"
    assert log["deliveries"][0]["last_status_code"] == 200


def test_failing_receiver_is_retried_with_backoff_then_replayed(
    hook_client: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    # The recipe checks the signature's time against the real clock, so the app runs on the
    # real time from the start (its events then fall due on it, a year back as well).
    clock.now = clock.now.__class__.fromtimestamp(time.time(), clock.now.tzinfo)
    partner = make_partner(hook_settings)
    pack_id = make_pack(hook_settings, clock=clock)
    with receiver() as rx:
        rx.status = 500
        hook_client.post(
            f"{API}/webhooks/endpoints",
            headers=partner.headers,
            json={"url": rx.url, "events": ["buyback.completed"]},
        )
        item = hook_client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "bob"},
        ).json()["nfts"][0]
        sold = hook_client.post(
            f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item["id"]}
        )
        assert sold.status_code == 200
        assert deliver(hook_settings, clock) == 1  # only buyback.completed is subscribed
        assert deliver(hook_settings, clock) == 0  # not due again yet
        clock.advance(seconds=29)
        assert deliver(hook_settings, clock) == 0
        clock.advance(seconds=1)
        assert deliver(hook_settings, clock) == 1  # 30 s after the first attempt
        clock.advance(seconds=59)
        assert deliver(hook_settings, clock) == 0
        rx.status = 204
        clock.advance(seconds=1)
        assert deliver(hook_settings, clock) == 1  # 60 s after the second
        ids = {orjson.loads(b)["id"] for _, b in rx.received}
        assert len(rx.received) == 3 and len(ids) == 1  # one event id: receivers de-duplicate
        log = hook_client.get(f"{API}/webhooks/deliveries", headers=partner.headers).json()
        [delivery] = log["deliveries"]
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
        assert delivery["event_type"] == "buyback.completed"

        replay = hook_client.post(
            f"{API}/webhooks/deliveries/{delivery['id']}/replay", headers=partner.headers
        )
        assert replay.status_code == 200 and replay.json()["status"] == "pending"
        assert deliver(hook_settings, clock) == 1
        assert orjson.loads(rx.received[-1][1])["id"] == delivery["event_id"]
    other = make_partner(hook_settings)
    assert (
        hook_client.post(
            f"{API}/webhooks/deliveries/{delivery['id']}/replay", headers=other.headers
        ).status_code
        == 404
    )


def test_retries_span_at_least_a_day(hook_settings: Settings) -> None:
    s = hook_settings
    span = retry_span_seconds(
        s.webhook_max_attempts, s.webhook_retry_base_seconds, s.webhook_retry_max_delay_seconds
    )
    assert span >= 24 * 3600


def test_failed_request_emits_nothing(
    hook_client: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(hook_settings)
    pack_id = make_pack(hook_settings, cards_per_tier=(1, 1, 1), clock=clock)
    with receiver() as rx:
        hook_client.post(f"{API}/webhooks/endpoints", headers=partner.headers, json={"url": rx.url})
        # Asking for more cards than the pool holds rolls the whole pull back.
        failed = hook_client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 5, "user_id": "carol"},
        )
        assert failed.status_code == 400
        assert deliver(hook_settings, clock) == 0
        assert rx.received == []
        log = hook_client.get(f"{API}/webhooks/deliveries", headers=partner.headers).json()
        assert log["deliveries"] == []


def test_shipment_and_expiring_events(
    hook_client: TestClient, hook_settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(hook_settings)
    pack_id = make_pack(hook_settings, clock=clock, window_seconds=48 * 3600)
    with receiver() as rx:
        hook_client.post(f"{API}/webhooks/endpoints", headers=partner.headers, json={"url": rx.url})
        items = hook_client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 2, "user_id": "dan"},
        ).json()["nfts"]
        quote = hook_client.post(
            f"{API}/ship/quote",
            headers=partner.headers,
            json={"item_ids": [items[0]["id"]], "destination": ADDRESS},
        ).json()
        order = hook_client.post(
            f"{API}/ship/request",
            headers=partner.headers,
            json={"quote_id": quote["quotes"][0]["id"]},
        ).json()

        async def ship(runtime: Runtime) -> None:
            await advance_order(runtime, Unit(runtime.db), order["order_id"], OrderStatus.SHIPPED)

        run(hook_settings, ship, clock)

        async def scan(runtime: Runtime) -> int:
            return await announce_expiring(runtime)

        assert run(hook_settings, scan, clock) == 0  # 48 h left, the lead time is 24 h
        clock.advance(hours=25)
        assert run(hook_settings, scan, clock) == 1  # only the card still held
        assert run(hook_settings, scan, clock) == 0  # announced once
        deliver(hook_settings, clock)
        events = [orjson.loads(b) for _, b in rx.received]
    types = [e["type"] for e in events]
    assert types.count("shipment.status_changed") == 2
    statuses = [e["data"]["status"] for e in events if e["type"] == "shipment.status_changed"]
    assert sorted(statuses) == ["queued", "shipped"]
    assert all(
        e["data"]["items"] and e["data"]["user_id"] == "dan"
        for e in events
        if e["type"] == "shipment.status_changed"
    )
    [expiring] = [e for e in events if e["type"] == "buyback.expiring"]
    assert expiring["data"]["item_id"] == items[1]["id"]


def test_private_targets_refused_unless_allowed(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    with receiver() as rx:
        assert (
            client.post(
                f"{API}/webhooks/endpoints", headers=partner.headers, json={"url": rx.url}
            ).status_code
            == 201
        )
        client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "eve"},
        )
        quiet = settings.model_copy(update={"webhook_poll_seconds": 0})
        assert deliver(quiet, clock) == 1
        assert rx.received == []
    [delivery] = client.get(f"{API}/webhooks/deliveries", headers=partner.headers).json()[
        "deliveries"
    ]
    assert delivery["status"] == "pending" and "non-public address" in delivery["last_error"]


def test_endpoint_validation_and_deletion(client: TestClient, settings: Settings) -> None:
    partner, other = make_partner(settings), make_partner(settings)
    h = partner.headers
    bad = client.post(f"{API}/webhooks/endpoints", headers=h, json={"url": "ftp://x"})
    assert bad.status_code == 400 and bad.json() == {"error": "url must be an http or https URL"}
    bad = client.post(
        f"{API}/webhooks/endpoints", headers=h, json={"url": "https://a.example", "events": ["x"]}
    )
    assert bad.status_code == 400 and bad.json()["error"].startswith("events must be")
    created = client.post(
        f"{API}/webhooks/endpoints", headers=h, json={"url": "https://a.example/h"}
    ).json()
    gone = client.delete(f"{API}/webhooks/endpoints/{created['id']}", headers=other.headers)
    assert gone.status_code == 404 and gone.json() == {"error": "Webhook endpoint not found"}
    deleted = client.delete(f"{API}/webhooks/endpoints/{created['id']}", headers=h)
    assert deleted.json() == {"id": created["id"], "deleted": True}
    assert client.get(f"{API}/webhooks/endpoints", headers=h).json() == {"endpoints": []}


def test_operator_registers_an_endpoint_from_the_cli(settings: Settings) -> None:
    from clawvault.db.models import Environment
    from clawvault.db.unit import Unit
    from clawvault.partners.auth import Caller
    from clawvault.webhooks.service import list_endpoints
    from tests.test_cli import clawvault

    partner = make_partner(settings)
    url = settings.database_url
    created = clawvault(
        url,
        "webhooks",
        "create",
        "--partner",
        partner.name,
        "--event",
        "pull.fulfilled",
        "https://hooks.example/x",
    )
    assert created.returncode == 0, created.stderr
    endpoint_id, secret = created.stdout.split()
    assert endpoint_id.startswith("we_") and secret.startswith("whsec_")
    missing = clawvault(url, "webhooks", "create", "--partner", "nobody", "https://hooks.example/x")
    assert missing.returncode != 0 and "Partner not found" in missing.stderr

    async def listed(runtime: Runtime) -> list[tuple[str, list[str]]]:
        out = await list_endpoints(runtime, Unit(runtime.db), Caller(1, Environment.PRODUCTION))
        return [(e["url"], e["events"]) for e in out["endpoints"]]

    assert run(settings, listed) == [("https://hooks.example/x", ["pull.fulfilled"])]


def test_operator_manages_endpoints_through_the_admin_api(
    settings: Settings, clock: FakeClock
) -> None:
    from tests.operator import ADMIN, ADMIN_API, operator_client, operator_settings

    admin_settings = operator_settings(settings)
    partner = make_partner(admin_settings)
    base = f"{ADMIN_API}/partners/{partner.name}/webhooks/endpoints"
    with operator_client(admin_settings, clock) as client:
        created = client.post(
            base, headers=ADMIN, json={"url": "https://hooks.example/a", "sandbox": True}
        )
        assert created.status_code == 201, created.text
        assert created.json()["environment"] == "sandbox"
        assert created.json()["secret"].startswith("whsec_")
        production = client.post(
            base,
            headers=ADMIN,
            json={"url": "https://hooks.example/b", "events": ["buyback.expiring"]},
        ).json()
        listed = client.get(base, headers=ADMIN).json()["endpoints"]
        assert {(e["url"], e["environment"]) for e in listed} == {
            ("https://hooks.example/a", "sandbox"),
            ("https://hooks.example/b", "production"),
        }
        # The partner sees its production endpoint on its own route.
        mine = client.get(f"{API}/webhooks/endpoints", headers=partner.headers).json()
        assert [e["id"] for e in mine["endpoints"]] == [production["id"]]
        assert client.post(base, headers=ADMIN, json={"url": "x"}).status_code == 400
        unknown = client.get(f"{ADMIN_API}/partners/nobody/webhooks/endpoints", headers=ADMIN)
        assert unknown.status_code == 404 and unknown.json() == {"error": "Partner not found"}
        assert client.get(base).status_code == 401
        deleted = client.delete(f"{base}/{production['id']}", headers=ADMIN)
        assert deleted.json() == {"id": production["id"], "deleted": True}
        assert client.delete(f"{base}/{production['id']}", headers=ADMIN).status_code == 404
