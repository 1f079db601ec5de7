"""Targeted races over real HTTP against two server processes on one database: many sellbacks
of one item, many ship requests over the same items, a pack drained to exhaustion."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import ADDRESS, make_pack, make_partner
from tests.invariants import query, violations
from tests.live import LiveServer, start_servers, stop_all
from tests.load import ALREADY_SHIPPED, IN_FLIGHT, ITEM_NOT_FOUND, NO_KEEPALIVE, OUT_OF_STOCK

pytestmark = pytest.mark.timeout(300)
API = "/api/v1"
CLIENTS = 64
DEST = {"destination": ADDRESS}


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[LiveServer]]:
    started = start_servers(database_url, 2, log_dir=tmp_path)
    yield started
    stop_all(started)


def answers(
    servers: list[LiveServer], key: str, requests: list[tuple[str, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """Sends every request at once, alternating between the servers."""

    async def send() -> list[tuple[int, dict[str, Any]]]:
        limits = NO_KEEPALIVE
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            replies = await asyncio.gather(
                *(
                    http.post(
                        servers[n % len(servers)].url + API + path,
                        json=body,
                        headers={"X-API-Key": key},
                    )
                    for n, (path, body) in enumerate(requests)
                )
            )
        return [(r.status_code, r.json()) for r in replies]

    return asyncio.run(send())


def post(server: LiveServer, key: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = httpx.post(server.url + API + path, json=body, headers={"X-API-Key": key}, timeout=60)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def test_concurrent_sellbacks_of_one_item_pay_once(
    settings: Settings, servers: list[LiveServer]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    for round_number in range(3):
        body = {"id": pack_id, "amount": 1, "user_id": f"seller-{round_number}"}
        pulled = post(servers[0], partner.key, "/vm/buy/init", body)
        item_id, session_id = pulled["nfts"][0]["id"], pulled["session_id"]

        replies = answers(servers, partner.key, [("/vm/buyback", {"item_id": item_id})] * CLIENTS)

        outcomes = Counter((status, body.get("error")) for status, body in replies)
        assert outcomes[(200, None)] == 1, outcomes
        assert set(outcomes) <= {(200, None), (429, IN_FLIGHT), (400, ITEM_NOT_FOUND)}, outcomes
        # A card sold back returns to the pool, so a later round may pull it again: count the
        # sellbacks of this holding (this round's purchase session).
        sold = query(
            settings,
            f"SELECT COUNT(*) FROM buybacks WHERE card_id = '{item_id}' "
            f"AND session_id = '{session_id}'",
        )
        assert sold == [(1,)]
        again = answers(servers, partner.key, [("/vm/buyback", {"item_id": item_id})])
        assert again == [(400, {"error": ITEM_NOT_FOUND})]
    assert violations(settings) == {}


def test_ship_requests_of_many_quotes_over_the_same_items_make_one_order(
    settings: Settings, servers: list[LiveServer]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    body = {"id": pack_id, "amount": 3, "user_id": "shipper"}
    items = [n["id"] for n in post(servers[0], partner.key, "/vm/buy/init", body)["nfts"]]
    rate_ids = []
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]):  # same items, any order
        chosen = [items[i] for i in order]
        quote = post(servers[1], partner.key, "/ship/quote", {"item_ids": chosen, **DEST})
        rate_ids += [rate["id"] for rate in quote["quotes"]]
    requests = [("/ship/request", {"quote_id": rate_ids[n % len(rate_ids)]}) for n in range(64)]
    random.Random(4).shuffle(requests)

    replies = answers(servers, partner.key, requests)

    outcomes = Counter((status, body.get("error")) for status, body in replies)
    assert outcomes == {(200, None): 1, (400, ALREADY_SHIPPED): CLIENTS - 1}, outcomes
    winner = next(body["order_id"] for status, body in replies if status == 200)
    lines = query(settings, "SELECT card_id, order_id FROM order_items")
    assert sorted(lines) == sorted((item, winner) for item in items)
    assert query(settings, "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'shipping'") == [(1,)]
    assert violations(settings) == {}


def test_concurrent_ship_requests_of_one_quote_make_exactly_one_order(
    settings: Settings, servers: list[LiveServer]
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    body = {"id": pack_id, "amount": 2, "user_id": "shipper"}
    items = [n["id"] for n in post(servers[0], partner.key, "/vm/buy/init", body)["nfts"]]
    quote = post(servers[1], partner.key, "/ship/quote", {"item_ids": items, **DEST})
    requests = [
        ("/ship/request", {"quote_id": quote["quotes"][n % len(quote["quotes"])]["id"]})
        for n in range(CLIENTS)
    ]

    replies = answers(servers, partner.key, requests)

    outcomes = Counter((status, body.get("error")) for status, body in replies)
    assert outcomes == {(200, None): 1, (400, ALREADY_SHIPPED): CLIENTS - 1}, outcomes
    assert query(settings, "SELECT COUNT(*) FROM orders") == [(1,)]
    assert query(settings, "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'shipping'") == [(1,)]
    assert violations(settings) == {}


def test_draining_a_pack_hands_out_exactly_its_pool(
    settings: Settings, servers: list[LiveServer]
) -> None:
    pool_size = 150
    partner = make_partner(settings)
    pack_id = make_pack(
        settings, tiers=((100, 10_000, 1.0),), cards_per_tier=pool_size, clock=utcnow
    )
    handed_out: list[str] = []
    failures: list[tuple[int, dict[str, Any]]] = []

    async def client(number: int, http: httpx.AsyncClient) -> None:
        amount = 1 + number % 3
        while True:
            reply = await http.post(
                servers[number % 2].url + API + "/vm/buy/init",
                json={"id": pack_id, "amount": amount, "user_id": f"drainer-{number}"},
                headers={"X-API-Key": partner.key},
            )
            if reply.status_code == 200:
                handed_out.extend(nft["id"] for nft in reply.json()["nfts"])
                continue
            if reply.json() != {"error": OUT_OF_STOCK}:
                failures.append((reply.status_code, reply.json()))
                return
            if amount == 1:
                return
            amount = 1  # not enough left for the bigger pull: take the last ones one by one

    async def drain() -> None:
        limits = NO_KEEPALIVE
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:
            await asyncio.gather(*(client(n, http) for n in range(CLIENTS)))

    asyncio.run(drain())

    assert failures == []
    assert len(handed_out) == pool_size
    assert len(set(handed_out)) == pool_size
    assert query(settings, "SELECT COUNT(*) FROM cards WHERE status = 'available'") == [(0,)]
    after = answers(
        servers,
        partner.key,
        [("/vm/buy/init", {"id": pack_id, "amount": 1, "user_id": "late"})] * 8,
    )
    assert after == [(400, {"error": OUT_OF_STOCK})] * 8
    assert violations(settings) == {}
