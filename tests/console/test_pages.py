"""Every console page renders with real data, and lists page."""

from __future__ import annotations

from urllib.parse import quote

from clawvault.settings import Settings
from tests.console.helpers import CONSOLE, console, pull_and_ship, sign_in
from tests.factories import FakeClock, make_pack


def test_every_page_shows_what_partners_did(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, settings):
        shop = pull_and_ship(client, settings, clock)
        sign_in(client)
        packs = client.get(f"{CONSOLE}/packs").text
        assert shop.pack_id in packs and "85.0%" in packs and "$10.00" in packs
        assert 'hx-trigger="every 10s"' in packs
        pack = client.get(f"{CONSOLE}/packs/{shop.pack_id}").text
        assert "Tier 1" in pack and "Realized 24 h" in pack
        assert "<svg" in pack and "Pulls per hour" in pack and "(3 pulls)" in pack
        held, shipped = shop.items[2], shop.items[0]
        card = client.get(f"{CONSOLE}/cards/{quote(held, safe='')}").text
        assert "held by user <strong>alice</strong>" in card and shop.partner in card
        assert "Price history" in card and "test" in card and "PSA 10.0" in card
        card = client.get(f"{CONSOLE}/cards/{quote(shipped, safe='')}").text
        assert f'in order <a href="{CONSOLE}/orders/{shop.order_id}">' in card
        board = client.get(f"{CONSOLE}/orders").text
        assert shop.order_id in board and "cost to partner" in board
        for status in ("queued", "processing", "label_created", "shipped", "delivered"):
            assert f'id="col-{status}"' in board
        order = client.get(f"{CONSOLE}/orders/{shop.order_id}").text
        assert "Advance to processing" in order and "Stop the order" in order
        assert "Ada Collector" in order and "shipping" in order
        partners = client.get(f"{CONSOLE}/partners").text
        assert shop.partner in partners and "-$" in partners
        partner = client.get(f"{CONSOLE}/partners/{shop.partner}").text
        assert "API keys" in partner and "Webhook endpoints" in partner and "Balance" in partner
        assert "production" in partner and "sandbox" in partner


def test_vault_search_filters_and_pages(settings: Settings, clock: FakeClock) -> None:
    pack_id = make_pack(settings, cards_per_tier=(60, 5, 1), clock=clock)
    other = make_pack(settings, clock=clock)
    with console(settings, clock) as (client, settings):
        sign_in(client)

        def rows(query: str) -> int:
            answer = client.get(f"{CONSOLE}/vault/results?{query}")
            assert answer.status_code == 200, answer.text
            return answer.text.count(f"{CONSOLE}/cards/")

        assert rows(f"pack={pack_id}") == 50
        assert rows(f"pack={pack_id}&page=2") == 16
        assert "Next" in client.get(f"{CONSOLE}/vault/results?pack={pack_id}").text
        assert rows(f"pack={pack_id}&tier=3") == 1
        assert rows(f"pack={other}&tier=2") == 10
        assert rows("q=card 1-59") == 1
        assert rows(f"pack={pack_id}&grader=psa&grade=10") == 50
        assert rows("grader=BGS") == 0
        assert rows("status=held") == 0
        bad = client.get(f"{CONSOLE}/vault/results?tier=x", headers={"HX-Request": "true"})
        assert bad.status_code == 400 and "tier must be a tier number" in bad.text
        page = client.get(f"{CONSOLE}/vault?q=Card 3-0&pack={pack_id}")
        assert 'value="Card 3-0"' in page.text and page.text.count(f"{CONSOLE}/cards/") == 1


def test_unknown_things_are_clear_pages_not_errors(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        sign_in(client)
        for path, message in (
            ("/cards/nope", "Card not found"),
            ("/packs/nope", "Pack not found"),
            ("/orders/order_nope", "Order not found"),
            ("/partners/nobody", "Partner not found"),
            ("/orders?status=lost", "unknown order status"),
        ):
            answer = client.get(CONSOLE + path)
            assert answer.status_code in (400, 404), path
            assert message in answer.text and "Traceback" not in answer.text
            assert answer.headers["content-type"].startswith("text/html")
