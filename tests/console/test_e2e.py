"""End to end: a real `clawvault serve` and a real headless Chromium, an operator at work."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.console.browser import chromium, require_chromium
from tests.console.helpers import API, Shop, pull_and_ship
from tests.factories import make_pack
from tests.live import LiveServer
from tests.operator import ADMIN_TOKEN

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[LiveServer, Settings]]:
    require_chromium()
    server = LiveServer(
        settings.database_url,
        env={"CLAWVAULT_ADMIN_TOKEN": ADMIN_TOKEN, "CLAWVAULT_SQLITE_SYNCHRONOUS": "NORMAL"},
    )
    server.start().wait_ready()
    try:
        yield server, settings
    finally:
        server.stop()


def test_an_operator_signs_in_and_works(live: tuple[LiveServer, Settings]) -> None:
    server, settings = live
    closed = make_pack(settings, enable=False, slug="closed-for-now", clock=utcnow)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        shop: Shop = pull_and_ship(http, settings)
        with chromium() as browser:
            page = browser.new_page()
            page.set_default_timeout(15_000)

            # sign in: nothing readable before, a wrong token refused
            page.goto(f"{server.url}/console/packs")
            assert page.url.startswith(f"{server.url}/console/signin")
            page.fill("input[name=token]", "not-the-token")
            page.click("button[type=submit]")
            assert "That is not the operator token" in page.inner_text("#signin-error")
            page.fill("input[name=token]", ADMIN_TOKEN)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server.url}/console/packs")
            assert page.inner_text("h1") == "Packs"

            # enable a pack
            row = page.locator(f"#pack-{closed}")
            assert row.locator(".badge").inner_text() == "disabled"
            row.get_by_role("button", name="Enable").click()
            page.locator(f"#pack-{closed} .badge.ok").wait_for()
            assert "is enabled" in page.inner_text("#flash")
            packs = http.get(f"{API}/vm/available", headers=shop.headers).json()
            assert next(p for p in packs if p["id"] == closed)["enable"] is True

            # find a card and open its page
            page.get_by_role("link", name="Vault", exact=True).click()
            page.select_option("select[name=pack]", shop.pack_id)
            page.fill("input[name=q]", "Card 2-3")
            expect(page.locator("#cards tbody tr")).to_have_count(1)
            assert "q=Card+2-3" in page.url or "q=Card%202-3" in page.url
            page.locator("#cards a", has_text="Card 2-3").click()
            page.wait_for_url(re.compile(r".*/console/cards/.+"))
            assert page.inner_text("#card-name") == "Card 2-3"
            assert "Price history" in page.content()
            assert page.inner_text("#card-status") in ("available", "held", "shipping")

            # advance an order to delivered, step by step
            page.get_by_role("link", name="Orders", exact=True).click()
            page.locator(f"#order-{shop.order_id} a.order-id").click()
            page.wait_for_url(f"{server.url}/console/orders/{shop.order_id}")
            for status in ("processing", "label created", "shipped", "delivered"):
                page.click("#advance")
                page.locator("#order-status", has_text=status).wait_for()
            assert "cannot move any more" in page.inner_text("#order")
            assert page.inner_text("#tracking") != "—"
            order = http.get(f"{API}/ship/order/{shop.order_id}", headers=shop.headers).json()
            assert order["status"] == "delivered"

            # revoke the partner's production key
            page.goto(f"{server.url}/console/partners/{shop.partner}")
            prefix = shop.key[:8]
            row = page.locator("#keys tbody tr", has_text=prefix).first
            row.get_by_role("button", name="Revoke").click()
            page.locator("#keys tbody tr", has_text=prefix).first.locator(".badge.off").wait_for()
            assert "revoked" in page.inner_text("#flash")
            assert http.get(f"{API}/ledger", headers=shop.headers).status_code == 401

            # sign out: the console is closed again
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(re.compile(r".*/console/signin"))
            page.goto(f"{server.url}/console/orders")
            assert page.url.startswith(f"{server.url}/console/signin")
