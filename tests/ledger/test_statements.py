"""Statements (GET /ledger) and inventory pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from clawvault.core.runtime import Runtime
from clawvault.db.models import Card, User
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner, run

API = "/api/v1"


def test_ledger_totals_equal_the_sum_of_entries(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    h = partner.headers
    pack_id = make_pack(settings, clock=clock, mint_price_cents=1_234)
    items = []
    for day in range(3):
        items += client.post(
            f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 2, "user_id": "al"}
        ).json()["nfts"]
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": items[-1]["id"]})
        if day == 1:
            quote = client.post(
                f"{API}/ship/quote",
                headers=h,
                json={"item_ids": [items[-2]["id"]], "destination": ADDRESS},
            ).json()
            client.post(
                f"{API}/ship/request", headers=h, json={"quote_id": quote["quotes"][0]["id"]}
            )
        clock.advance(days=1)

    full = client.get(f"{API}/ledger", headers=h).json()
    amounts = [e["amount"] for e in full["entries"]]
    assert len(amounts) == 7 and full["next_cursor"] is None
    cents = [round(a * 100) for a in amounts]
    assert round(full["balance"] * 100) == sum(cents)
    assert full["opening_balance"] == 0 and full["closing_balance"] == full["balance"]
    assert len(full["daily"]) == 3
    assert sum(round(d["net"] * 100) for d in full["daily"]) == sum(cents)
    assert all(d["pulls"] == -24.68 for d in full["daily"])
    assert full["daily"][1]["shipping"] < 0 and full["daily"][0]["shipping"] == 0
    assert sum(d["entries"] for d in full["daily"]) == 7

    # A date range: the second day only, its opening balance is the first day's net.
    start = clock.now - timedelta(days=2)
    day2 = client.get(
        f"{API}/ledger",
        headers=h,
        params={
            "from": start.date().isoformat(),
            "to": (start + timedelta(days=1)).date().isoformat(),
        },
    ).json()
    assert [d["date"] for d in day2["daily"]] == [start.date().isoformat()]
    assert day2["opening_balance"] == full["daily"][0]["net"]
    assert len(day2["entries"]) == 3

    # Pages of 2 walk every entry once, in order.
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/ledger", headers=h, params=params).json()
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in full["entries"]]

    text = client.get(f"{API}/ledger", headers={**h, "Accept": "text/csv"})
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [int(r["id"]) for r in rows] == [e["id"] for e in full["entries"]]
    assert rows[-1]["balance"] == f"{full['balance']:.2f}"

    bad = client.get(f"{API}/ledger", headers=h, params={"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("from and to must be")
    assert client.get(f"{API}/ledger", headers=h, params={"cursor": "!!"}).json() == {
        "error": "Invalid cursor"
    }
    # Another partner's statement is its own.
    other = make_partner(settings)
    assert client.get(f"{API}/ledger", headers=other.headers).json()["entries"] == []


def test_inventory_pages_over_many_items(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock, cards_per_tier=(200, 200, 100))

    async def hand_out(runtime: Runtime) -> None:
        """500 cards held by one user, many sharing a purchase time (ties broken by id)."""
        async with runtime.db.write() as conn:
            await conn.execute(
                insert(User).values(partner_id=1, user_id="whale", created_at=clock())
            )
            ids = (await conn.execute(select(Card.id).where(Card.pack_id == pack_id))).scalars()
            for n, card_id in enumerate(ids):
                await conn.execute(
                    update(Card)
                    .where(Card.id == card_id)
                    .values(
                        status="held",
                        owner_partner_id=1,
                        owner_user_id="whale",
                        session_id="s",
                        purchased_at=clock() + timedelta(seconds=n // 7),
                    )
                )

    run(settings, hand_out)
    h = partner.headers
    whole = client.get(f"{API}/inventory/whale", headers=h).json()
    assert set(whole) == {"user_id", "items"} and len(whole["items"]) == 500
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "64", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/inventory/whale", headers=h, params=params).json()
        assert set(page) == {"user_id", "items", "next_cursor"}
        seen += [i["id"] for i in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 8 and seen == [i["id"] for i in whole["items"]]
    assert client.get(f"{API}/inventory/whale", headers=h, params={"limit": "0"}).status_code == 400
    assert client.get(f"{API}/inventory/nobody", headers=h, params={"limit": "5"}).json() == {
        "error": "User not found"
    }
    other = make_partner(settings)
    assert (
        client.get(
            f"{API}/inventory/whale", headers=other.headers, params={"limit": "5"}
        ).status_code
        == 404
    )
