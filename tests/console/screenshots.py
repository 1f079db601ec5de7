"""Screenshots of the console's main pages for the docs: `python -m tests.console.screenshots`
(or `make screenshots`). A throwaway demo database, a real server, a few partners' pulls,
sellbacks, price moves and orders, then a headless Chromium (Debian's) at 1440×900."""

from __future__ import annotations

import argparse
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

from clawvault.core.runtime import Runtime
from clawvault.db import migrate
from clawvault.db.unit import Unit
from clawvault.demo.service import seed_demo
from clawvault.settings import Settings
from tests.console.browser import chromium
from tests.factories import ADDRESS, make_partner, run
from tests.live import LiveServer

TOKEN = "screenshot-operator-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def populate(http: httpx.Client, settings: Settings) -> dict[str, str]:
    """Pulls, a sellback, price moves and orders in every status; returns ids to show."""
    acme = make_partner(settings, "acme-collectibles")
    make_partner(settings, "northwind-games")
    h = acme.headers
    packs = http.get("/api/v1/vm/available", headers=h).json()
    pack = packs[0]
    items: list[dict[str, object]] = []
    for user in ("alice", "bob", "carol", "dave", "erin", "frank", "grace"):
        bought = http.post(
            "/api/v1/vm/buy/init", headers=h, json={"id": pack["id"], "amount": 3, "user_id": user}
        ).json()
        items += [{**n, "user": user} for n in bought["nfts"]]
    http.post("/api/v1/vm/buyback", headers=h, json={"item_id": items[0]["id"]})
    http.post(
        "/api/v1/webhooks/endpoints", headers=h, json={"url": "https://hooks.acme.example/cv"}
    )
    orders = []
    for user in ("bob", "carol", "dave", "erin", "frank", "grace"):
        mine = [i["id"] for i in items if i["user"] == user][:2]
        quote_answer = http.post(
            "/api/v1/ship/quote", headers=h, json={"item_ids": mine, "destination": ADDRESS}
        ).json()
        rate = quote_answer["quotes"][0]["id"]
        orders.append(http.post("/api/v1/ship/request", headers=h, json={"quote_id": rate}).json())
    moves = [None, "processing", "label_created", "shipped", "delivered", "cancelled"]
    for order, target in zip(orders, moves, strict=True):
        if target:
            body = {
                "to": target,
                "note": "Address could not be verified" if target == "cancelled" else None,
            }
            http.post(f"/admin/v1/orders/{order['order_id']}/advance", headers=ADMIN, json=body)
    card_id = str(items[2]["id"])
    fmv = http.get(f"/admin/v1/prices/{quote(card_id, safe='')}", headers=ADMIN).json()["fmv"]
    for step, factor in enumerate((0.92, 1.04, 0.97, 1.11, 1.06), start=1):
        as_of = (datetime.now(UTC) - timedelta(hours=6 - step)).isoformat()
        http.post(
            "/admin/v1/prices",
            headers=ADMIN,
            json={
                "prices": [
                    {
                        "card_id": card_id,
                        "fmv": round(fmv * factor, 2),
                        "as_of": as_of,
                        "source": "psa-apr",
                    }
                ]
            },
        )
    return {"pack_id": str(pack["id"]), "card_id": card_id, "order_id": orders[1]["order_id"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/console", type=Path)
    parser.add_argument("--cards", default=1500, type=int)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="clawvault-shots-"))
    database_url = f"sqlite:///{workdir / 'demo.db'}"
    env = {"CLAWVAULT_ADMIN_TOKEN": TOKEN}
    server = LiveServer(database_url, env=env)
    # the demo's card pictures are drawn by this server: the catalog links to it
    settings = Settings(database_url=database_url, admin_token=TOKEN, public_base_url=server.url)
    migrate.upgrade(settings.database_url)

    async def seed(runtime: Runtime) -> None:
        await seed_demo(runtime, Unit(runtime.db), args.cards, 1)

    run(settings, seed)
    server.env["CLAWVAULT_PUBLIC_BASE_URL"] = server.url
    server.start().wait_ready()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            ids = populate(http, settings)
        shoot(server.url, ids, args.out)
    finally:
        server.stop()
    print(f"screenshots written to {args.out}/")


def shoot(base: str, ids: dict[str, str], out: Path) -> None:
    with chromium() as browser:
        # nothing outside this server is fetched
        browser.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
        page = browser.new_page()
        page.goto(f"{base}/console/signin")
        page.screenshot(path=str(out / "signin.png"))
        page.fill("input[name=token]", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/console/packs")
        shots = {
            "packs": "/console/packs",
            "pack": f"/console/packs/{ids['pack_id']}",
            "vault": "/console/vault?q=psa&grader=PSA",
            "card": f"/console/cards/{quote(ids['card_id'], safe='')}",
            "orders": "/console/orders",
            "order": f"/console/orders/{ids['order_id']}",
            "partner": "/console/partners/acme-collectibles",
        }
        for name, path in shots.items():
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(
                path=str(out / f"{name}.png"), full_page=name in ("pack", "card", "partner")
            )


if __name__ == "__main__":
    main()
