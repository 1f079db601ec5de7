"""PostgreSQL: a sellback is one statement in autocommit (`buyback.in_one.sell_in_one`) when
nothing needs telling apart: it writes what the sellback in a transaction writes, or nothing,
and then the transaction settles it or gives the error."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clawvault.buyback import in_one
from clawvault.buyback.errors import ItemExpired
from clawvault.core.runtime import Runtime
from clawvault.db.models import Buyback, Card, LedgerEntry, WebhookEvent
from clawvault.packs.domain import buyback_cents
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, add_endpoint, make_pack, make_partner, run

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

API = "/api/v1"
BPS = 7_777


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each sell_in_one of the test wrote the sellback (the real method, observed)."""
    seen: list[bool] = []
    real = in_one.sell_statement

    async def observed(*args: Any, **kwargs: Any) -> Any:
        row = await real(*args, **kwargs)
        seen.append(row is not None)
        return row

    monkeypatch.setattr(in_one, "sell_statement", observed)
    return seen


def bought(client: TestClient, partner: PartnerKeys, pack_id: str) -> str:
    answer = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 1, "user_id": "seller"},
    )
    assert answer.status_code == 200, answer.text
    item_id: str = answer.json()["nfts"][0]["id"]
    return item_id


def sell(client: TestClient, partner: PartnerKeys, item_id: str) -> Any:
    return client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})


def written(settings: Settings) -> dict[str, Any]:
    async def work(runtime: Runtime) -> dict[str, Any]:
        async with runtime.db.read() as conn:
            return {
                table.__tablename__: await conn.scalar(select(func.count()).select_from(table))
                for table in (Buyback, LedgerEntry, WebhookEvent)
            }

    return run(settings, work)


def test_a_sellback_in_one_statement_writes_what_a_transaction_writes(
    clock: FakeClock, client: TestClient, settings: Settings, calls: list[bool]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, buyback_bps=BPS, clock=clock)
    item_id = bought(client, partner, pack_id)

    async def card(runtime: Runtime) -> Any:
        async with runtime.db.read() as conn:
            query = select(Card).where(Card.id == item_id)
            return (await conn.execute(query)).mappings().one()

    before = run(settings, card)
    sold = sell(client, partner, item_id)
    assert sold.status_code == 200, sold.text
    assert calls == [True]
    amount = buyback_cents(before["fmv_cents"], BPS)
    assert sold.json() == {"success": True, "amount": amount / 100}

    async def records(runtime: Runtime) -> tuple[Any, Any]:
        async with runtime.db.read() as conn:
            buyback = (await conn.execute(select(Buyback))).mappings().one()
            entry = (
                (await conn.execute(select(LedgerEntry).where(LedgerEntry.kind == "buyback")))
                .mappings()
                .one()
            )
            return buyback, entry

    buyback, entry = run(settings, records)
    assert (buyback["card_id"], buyback["session_id"], buyback["user_id"]) == (
        item_id,
        before["session_id"],
        "seller",
    )
    assert (buyback["fmv_cents"], buyback["buyback_bps"], buyback["amount_cents"]) == (
        before["fmv_cents"],
        BPS,
        amount,
    )
    assert (entry["amount_cents"], entry["reference"], entry["user_id"]) == (
        amount,
        f"buyback_{buyback['id']}",
        "seller",
    )
    after = run(settings, card)
    assert (after["status"], after["owner_user_id"], after["session_id"]) == (
        "available",
        None,
        None,
    )
    assert after["pool_key"] is not None


def test_an_expired_item_is_told_by_the_transaction(
    client: TestClient, settings: Settings, clock: FakeClock, calls: list[bool]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, window_seconds=60, clock=clock)
    item_id = bought(client, partner, pack_id)
    before = written(settings)
    clock.advance(seconds=60)  # the window's last instant is past
    expired = sell(client, partner, item_id)
    assert (expired.status_code, expired.json()) == (400, {"error": ItemExpired.message})
    assert calls == [False]
    assert written(settings) == before


def test_a_partner_with_an_endpoint_sells_back_in_a_transaction_with_its_event(
    clock: FakeClock, client: TestClient, settings: Settings, calls: list[bool]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    item_id = bought(client, partner, pack_id)

    async def with_endpoint(runtime: Runtime) -> int:
        async with runtime.db.write() as conn:
            partner_id = await conn.scalar(select(Card.owner_partner_id).where(Card.id == item_id))
            assert partner_id is not None
            await add_endpoint(conn, partner_id, "production", ["buyback.completed"])
            return partner_id

    run(settings, with_endpoint)
    before = written(settings)
    sold = sell(client, partner, item_id)
    assert sold.status_code == 200, sold.text
    assert calls == [False]
    after = written(settings)
    assert after == {
        "buybacks": before["buybacks"] + 1,
        "ledger_entries": before["ledger_entries"] + 1,
        "webhook_events": before["webhook_events"] + 1,
    }
