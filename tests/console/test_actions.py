"""Console actions: their effect on the database as partners see it through the Partner API."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from clawvault.settings import Settings
from tests.console.helpers import API, CONSOLE, console, pull_and_ship, sign_in
from tests.factories import FakeClock, make_pack, make_partner


def act(client: TestClient, csrf: str, path: str, **form: str) -> tuple[int, str]:
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    answer = client.post(CONSOLE + path, data=form, headers=headers)
    return answer.status_code, answer.text


def test_disable_and_enable_a_pack(settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    with console(settings, clock) as (client, _settings):
        csrf = sign_in(client)

        def listed() -> bool:
            packs = client.get(f"{API}/vm/available", headers=partner.headers).json()
            return bool(next(p for p in packs if p["id"] == pack_id)["enable"])

        page = client.get(f"{CONSOLE}/packs").text
        assert 'hx-confirm="Disable' in page  # the destructive switch asks first
        status, html = act(client, csrf, f"/packs/{pack_id}/disable", view="list")
        assert status == 200 and "is disabled" in html and 'id="packs"' in html
        assert listed() is False
        bought = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "u"},
        )
        assert bought.status_code != 200
        status, html = act(client, csrf, f"/packs/{pack_id}/enable")
        assert status == 200 and 'id="pack-head"' in html and "badge ok" in html
        assert listed() is True
        status, html = act(client, csrf, "/packs/nope/enable")
        assert status == 404 and "Pack not found" in html


def test_advance_an_order_to_delivered(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        seen = []
        for _ in range(4):
            page = client.get(f"{CONSOLE}/orders/{shop.order_id}").text
            target = page.split('hx-vals=\'{"to": "')[1].split('"')[0]
            status, html = act(client, csrf, f"/orders/{shop.order_id}/advance", to=target)
            assert status == 200, html
            seen.append(target)
            order = client.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
            assert order["status"] == target
        assert seen == ["processing", "label_created", "shipped", "delivered"]
        assert "cannot move any more" in html and 'id="order-status">delivered' in html
        assert order["tracking_number"] and order["delivered_at"]
        status, html = act(
            client, csrf, f"/orders/{shop.order_id}/advance", to="cancelled", note="x"
        )
        assert status == 409 and "cannot move any more" in html


def test_quick_advance_from_the_board(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        status, html = act(
            client, csrf, f"/orders/{shop.order_id}/advance", to="processing", view="board"
        )
        assert status == 200 and 'id="board"' in html
        processing = html.split('id="col-processing"')[1].split("</section>")[0]
        assert shop.order_id in processing


def test_cancel_needs_a_reason_and_gives_everything_back(
    settings: Settings, clock: FakeClock
) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        before = client.get(f"{API}/ledger", headers=shop.headers).json()["balance"]
        page = client.get(f"{CONSOLE}/orders/{shop.order_id}").text
        assert 'hx-confirm="Stop order' in page
        status, html = act(client, csrf, f"/orders/{shop.order_id}/advance", to="cancelled")
        assert status == 400 and "say why the order is cancelled" in html
        status, html = act(
            client, csrf, f"/orders/{shop.order_id}/advance", to="cancelled", note="Address refused"
        )
        assert status == 200 and "Address refused" in html
        assert "Cost to partner now</dt><dd><strong>$0.00" in html
        order = client.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
        assert order["status"] == "cancelled" and order["error_message"] == "Address refused"
        inventory = client.get(f"{API}/inventory/alice", headers=shop.headers).json()
        assert {i["id"] for i in inventory["items"]} == set(shop.items)
        after = client.get(f"{API}/ledger", headers=shop.headers).json()["balance"]
        assert after == round(before + order["amount"], 2)


def test_attach_a_tracking_number(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        path = f"/orders/{shop.order_id}/tracking"
        status, html = act(client, csrf, path, carrier="UPS", tracking_number="no!")
        assert status == 400 and "4 to 64 letters, digits or dashes" in html
        status, html = act(client, csrf, path, carrier="UPS", tracking_number="1z 999 aa1")
        assert status == 200 and "1Z999AA1" in html
        order = client.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
        assert order["status"] == "label_created" and order["carrier"] == "UPS"
        assert order["tracking_number"] == "1Z999AA1" and "/ups/1Z999AA1" in order["tracking_url"]
        status, html = act(client, csrf, path, carrier="UPS", tracking_number="1Z999AA2")
        order = client.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
        assert order["tracking_number"] == "1Z999AA2" and order["status"] == "label_created"


def test_keys_are_shown_once_and_revoked(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        status, html = act(client, csrf, f"/partners/{shop.partner}/keys", environment="production")
        assert status == 200 and "not shown again" in html
        new_key = html.split('id="new-key"')[1].split("<code>")[1].split("</code>")[0]
        assert client.get(f"{API}/ledger", headers={"X-API-Key": new_key}).status_code == 200
        page = client.get(f"{CONSOLE}/partners/{shop.partner}").text
        assert new_key not in page and 'hx-confirm="Revoke key' in page
        key_ids = [int(part.split('"')[0]) for part in page.split('id="key-')[1:]]
        for key_id in key_ids:
            status, html = act(client, csrf, f"/partners/{shop.partner}/keys/{key_id}/revoke")
            assert status == 200 and f"Key {key_id} revoked" in html
        assert client.get(f"{API}/ledger", headers={"X-API-Key": new_key}).status_code == 401
        assert client.get(f"{API}/ledger", headers=shop.headers).status_code == 401
        assert 'badge ok">active' not in client.get(f"{CONSOLE}/partners/{shop.partner}").text


def test_webhook_endpoints_and_deliveries(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        path = f"/partners/{shop.partner}/webhooks"
        status, html = act(client, csrf, path, url="not a url")
        assert status == 400
        status, html = act(client, csrf, path, url="https://partner.example/hooks", events="")
        assert status == 200 and "shown once" in html
        endpoint_id = html.split('id="new-endpoint"')[1].split("Endpoint ")[1].split(" ")[0]
        listed = client.get(f"{API}/webhooks/endpoints", headers=shop.headers).json()
        assert [e["id"] for e in listed["endpoints"]] == [endpoint_id]
        act(client, csrf, f"/orders/{shop.order_id}/advance", to="processing")
        page = client.get(f"{CONSOLE}/partners/{shop.partner}").text
        deliveries = page.split("Recent webhook deliveries")[1]
        assert "shipment.status_changed" in deliveries and endpoint_id in deliveries
        sent = client.get(f"{API}/webhooks/deliveries", headers=shop.headers).json()
        assert [d["event_type"] for d in sent["deliveries"]] == ["shipment.status_changed"]
        status, html = act(client, csrf, f"{path}/{endpoint_id}/delete")
        assert status == 200 and "Webhook endpoint deleted" in html
        listed = client.get(f"{API}/webhooks/endpoints", headers=shop.headers).json()
        assert listed["endpoints"] == []


def test_retire_a_card_in_its_pool(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        csrf = sign_in(client)
        results = client.get(f"{CONSOLE}/vault/results?pack={shop.pack_id}&status=available").text
        card_id = results.split(f"{CONSOLE}/cards/")[1].split('"')[0]
        page = client.get(f"{CONSOLE}/cards/{card_id}").text
        assert 'hx-confirm="Retire this card' in page
        status, html = act(client, csrf, f"/cards/{card_id}/retire")
        assert status == 200 and 'id="card-status">retired' in html
        held = quote(shop.items[2], safe="")
        status, html = act(client, csrf, f"/cards/{held}/retire")
        assert status == 409 and "only a card in a pool can retire" in html


def test_create_a_partner(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        csrf = sign_in(client)
        status, html = act(client, csrf, "/partners", name="Acme Cards")
        assert status == 200 and "Acme Cards" in html and "Partner created" in html
        status, html = act(client, csrf, "/partners", name="")
        assert status == 400
