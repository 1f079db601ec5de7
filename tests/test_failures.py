"""An internal failure in the middle of a request answers the route's documented 500 string,
leaks no stack trace, and leaves nothing half-written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clawvault.buyback import in_one
from clawvault.buyback import service as buyback_service
from clawvault.buyback.repository import BuybackRepository
from clawvault.pulls.repository import PullRepository
from clawvault.settings import Settings
from clawvault.shipping.quote_rounds import QuoteRounds
from clawvault.shipping.repository import ShippingRepository
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.invariants import balances, violations

API = "/api/v1"


async def explode(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("disk on fire: /secret/path")


async def declined(*_args: object, **_kwargs: object) -> None:
    return None


def test_pull_failure_allocates_nothing(
    clock: FakeClock, client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    monkeypatch.setattr(PullRepository, "record", explode)  # after the cards were claimed
    response = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 3, "user_id": "zed"},
    )
    assert response.status_code == 500
    assert response.json() == {"error": "Error during transaction"}
    assert "secret" not in response.text
    monkeypatch.undo()
    assert client.get(f"{API}/inventory/zed", headers=partner.headers).status_code == 404
    assert balances(settings) == {}
    assert violations(settings) == {}
    ok = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 3, "user_id": "zed"},
    )
    assert ok.status_code == 200


def test_sellback_and_shipping_failures(
    clock: FakeClock, client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    items = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 2, "user_id": "yan"},
    ).json()["nfts"]
    ids = [i["id"] for i in items]
    before = balances(settings)

    # PostgreSQL's sellback in one statement (buyback.in_one.sell_in_one) is atomic by
    # itself; declined, the sellback is settled in a transaction, which fails half-way here.
    monkeypatch.setattr(in_one, "sell_statement", declined)
    monkeypatch.setattr(buyback_service, "emit", explode)  # after the card was returned, paid
    sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": ids[0]})
    assert sold.status_code == 500
    assert sold.json() == {"error": "An unexpected error occurred"}
    monkeypatch.undo()

    monkeypatch.setattr(ShippingRepository, "add_quote", explode)
    monkeypatch.setattr(QuoteRounds, "_write", explode)  # PostgreSQL's quotes in rounds
    quote = client.post(
        f"{API}/ship/quote", headers=partner.headers, json={"item_ids": ids, "destination": ADDRESS}
    )
    assert quote.status_code == 500
    assert quote.json() == {"error": "Failed to fetch shipping rates"}
    monkeypatch.undo()

    good = client.post(
        f"{API}/ship/quote", headers=partner.headers, json={"item_ids": ids, "destination": ADDRESS}
    ).json()
    monkeypatch.setattr(ShippingRepository, "add_event", explode)
    request = client.post(
        f"{API}/ship/request", headers=partner.headers, json={"quote_id": good["quotes"][0]["id"]}
    )
    assert request.status_code == 500
    assert request.json() == {"error": "Failed to create shipping request"}
    monkeypatch.undo()

    monkeypatch.setattr(in_one, "sell_statement", declined)
    monkeypatch.setattr(BuybackRepository, "settle", explode)
    assert (
        client.post(
            f"{API}/vm/buyback", headers=partner.headers, json={"item_id": ids[1]}
        ).status_code
        == 500
    )
    monkeypatch.undo()

    # nothing of the failed requests stayed: both cards are still held, money unchanged
    held = client.get(f"{API}/inventory/yan", headers=partner.headers).json()["items"]
    assert sorted(i["id"] for i in held) == sorted(ids)
    assert balances(settings) == before
    assert violations(settings) == {}
    retry = client.post(
        f"{API}/ship/request", headers=partner.headers, json={"quote_id": good["quotes"][0]["id"]}
    )
    assert retry.status_code == 200
