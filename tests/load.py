"""Many concurrent partner clients over real HTTP: pulls, sellbacks, shipments, and attempts on
another partner's items, spread over several server processes. Every answer must be one the
contract documents for that race; every 2xx is remembered so the database can be checked
against what the clients were told."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from clawvault.core.money import number_to_cents
from clawvault.settings import Settings
from tests.factories import ADDRESS
from tests.invariants import query

API = "/api/v1"
# No keep-alive: a request sent on an idle connection just as uvicorn's keep-alive timeout
# closes it fails in transit (seen on a loaded machine: the client a ReadError, the server a
# ClientDisconnect), which would blur "the server died" in the crash tests. One connection per
# request on loopback costs little.
NO_KEEPALIVE = httpx.Limits(max_connections=512, max_keepalive_connections=0)
OUT_OF_STOCK = "Claw machine is out of stock"
ITEM_NOT_FOUND = "Item not found"
IN_FLIGHT = "A buyback request for this item is already being processed"
ALREADY_SHIPPED = "Item already shipped"

# Answers each operation may get under races; anything else (and every 5xx) is a failure.
ACCEPTED: dict[str, set[tuple[int, str | None]]] = {
    "pull": {(200, None), (400, OUT_OF_STOCK)},
    "inventory": {(200, None), (404, "User not found")},
    "sellback": {(200, None), (400, ITEM_NOT_FOUND), (429, IN_FLIGHT)},
    "quote": {
        (200, None),
        (400, ITEM_NOT_FOUND),
        (400, "No shippable items in request"),
        (400, "All items must belong to the same user"),  # sold back, pulled by a neighbour
    },
    "ship": {(200, None), (400, ALREADY_SHIPPED), (400, ITEM_NOT_FOUND)},
    "foreign sellback": {(400, ITEM_NOT_FOUND)},
    "foreign quote": {(400, ITEM_NOT_FOUND)},
}


@dataclass
class LoadPlan:
    server_urls: list[str]
    keys: list[str]  # one production key per partner
    partner_names: list[str]
    shared_packs: list[str]  # pulled by every partner
    private_pack: str  # pulled only by partner 0: its cards never belong to anyone else
    clients: int = 64
    operations_per_client: int = 10
    users_per_partner: int = 8
    seed: int = 1


@dataclass
class LoadReport:
    answers: Counter[tuple[str, int, str | None]] = field(default_factory=Counter)
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)
    transport_errors: int = 0
    transport_error_kinds: Counter[str] = field(default_factory=Counter)
    sessions: dict[str, tuple[int, str, list[str]]] = field(default_factory=dict)
    sellbacks: Counter[tuple[int, str]] = field(default_factory=Counter)
    orders: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    balance_cents: Counter[int] = field(default_factory=Counter)
    private_items: list[str] = field(default_factory=list)

    @property
    def operations(self) -> int:
        return sum(self.answers.values()) + self.transport_errors

    def ok(self, operation: str) -> int:
        return self.answers[(operation, 200, None)]


class Client:
    def __init__(
        self, number: int, plan: LoadPlan, http: httpx.AsyncClient, report: LoadReport
    ) -> None:
        self.plan = plan
        self.http = http
        self.report = report
        self.partner = number % len(plan.keys)
        self.user = f"user-{(number // len(plan.keys)) % plan.users_per_partner}"
        self.headers = {"X-API-Key": plan.keys[self.partner]}
        self.random = random.Random(plan.seed * 1_000_003 + number)

    async def call(
        self, operation: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]] | None:
        url = self.random.choice(self.plan.server_urls) + API + path
        try:
            answer = await self.http.request(method, url, json=body, headers=self.headers)
        except httpx.TransportError as exc:
            self.report.transport_errors += 1  # the server died: the outcome is unknown
            self.report.transport_error_kinds[type(exc).__name__] += 1
            return None
        data = answer.json()
        error = data.get("error") if answer.status_code != 200 else None
        self.report.answers[(operation, answer.status_code, error)] += 1
        if (answer.status_code, error) not in ACCEPTED[operation]:
            self.report.unexpected.append((operation, answer.status_code, answer.text[:300]))
        return answer.status_code, data

    async def pull(self) -> None:
        packs = list(self.plan.shared_packs)
        if self.partner == 0:
            packs.append(self.plan.private_pack)
        body = {"id": self.random.choice(packs), "amount": self.random.randint(1, 3)}
        answer = await self.call("pull", "POST", "/vm/buy/init", {**body, "user_id": self.user})
        if answer is not None and answer[0] == 200:
            items = [nft["id"] for nft in answer[1]["nfts"]]
            self.report.sessions[answer[1]["session_id"]] = (self.partner, self.user, items)
            if body["id"] == self.plan.private_pack:
                self.report.private_items.extend(items)

    async def held_items(self) -> list[dict[str, Any]]:
        answer = await self.call("inventory", "GET", f"/inventory/{self.user}")
        return list(answer[1]["items"]) if answer is not None and answer[0] == 200 else []

    async def sell_back(self) -> None:
        items = await self.held_items()
        if not items:
            return
        item_id = self.random.choice(items)["id"]
        answer = await self.call("sellback", "POST", "/vm/buyback", {"item_id": item_id})
        if answer is not None and answer[0] == 200:
            self.report.sellbacks[(self.partner, item_id)] += 1
            self.report.balance_cents[self.partner] += number_to_cents(answer[1]["amount"])

    async def ship(self) -> None:
        items = await self.held_items()
        if not items:
            return
        chosen = [i["id"] for i in self.random.sample(items, min(len(items), 2))]
        body = {"item_ids": chosen, "destination": ADDRESS}
        quote = await self.call("quote", "POST", "/ship/quote", body)
        if quote is None or quote[0] != 200:
            return
        rate = self.random.choice(quote[1]["quotes"])
        answer = await self.call("ship", "POST", "/ship/request", {"quote_id": rate["id"]})
        if answer is not None and answer[0] == 200:
            self.report.orders[answer[1]["order_id"]] = (self.partner, chosen)
            self.report.balance_cents[self.partner] -= number_to_cents(rate["amount"])

    async def touch_foreign_item(self) -> None:
        """A partner other than 0 names an item of partner 0's private pack: never found."""
        if self.partner == 0 or not self.report.private_items:
            return
        item_id = self.random.choice(self.report.private_items[-50:])
        if self.random.random() < 0.5:
            await self.call("foreign sellback", "POST", "/vm/buyback", {"item_id": item_id})
        else:
            body = {"item_ids": [item_id], "destination": ADDRESS}
            await self.call("foreign quote", "POST", "/ship/quote", body)

    async def run(self) -> None:
        for _ in range(self.plan.operations_per_client):
            roll = self.random.random()
            if roll < 0.45:
                await self.pull()
            elif roll < 0.75:
                await self.sell_back()
            elif roll < 0.92:
                await self.ship()
            else:
                await self.touch_foreign_item()


async def run_load(plan: LoadPlan, report: LoadReport | None = None) -> LoadReport:
    report = report or LoadReport()
    async with httpx.AsyncClient(timeout=120, limits=NO_KEEPALIVE) as http:
        clients = [Client(n, plan, http, report) for n in range(plan.clients)]
        await asyncio.gather(*(client.run() for client in clients))
    return report


def exact_totals(settings: Settings, plan: LoadPlan, report: LoadReport) -> list[str]:
    """With no server crash every request's outcome is known: the database holds exactly what
    the clients were told, and each partner's ledger sums to what its answers add up to."""
    problems: list[str] = []
    counts = {
        "purchase_sessions": len(report.sessions),
        "buybacks": sum(report.sellbacks.values()),
        "orders": len(report.orders),
    }
    for table, answered in counts.items():
        stored = int(query(settings, f"SELECT COUNT(*) FROM {table}")[0][0])
        if stored != answered:
            problems.append(f"{table}: {answered} answered 200, {stored} stored")
    prices = dict(query(settings, "SELECT id, price_cents FROM purchase_sessions"))
    expected = Counter(report.balance_cents)
    for session_id, (partner, _user, _items) in report.sessions.items():
        expected[partner] -= int(prices.get(session_id, 0))
    for index, name in enumerate(plan.partner_names):
        rows = query(
            settings,
            "SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger_entries l"
            f" JOIN partners p ON p.id = l.partner_id WHERE p.name = '{name}'",
        )
        if int(rows[0][0]) != expected[index]:
            problems.append(f"partner {name}: ledger {rows[0][0]}, answers {expected[index]}")
    return problems


def unacknowledged(settings: Settings, report: LoadReport) -> list[str]:
    """Every 2xx a client received, looked up in the database; what is missing or differs."""
    problems: list[str] = []
    pulled = _grouped(settings, "SELECT session_id, card_id FROM pulls")
    for session_id, (_partner, _user, items) in report.sessions.items():
        if sorted(pulled.get(session_id, [])) != sorted(items):
            problems.append(f"session {session_id}: {items} answered, {pulled.get(session_id)}")
    ordered = _grouped(settings, "SELECT order_id, card_id FROM order_items")
    for order_id, (_partner, sent) in report.orders.items():
        lines = ordered.get(order_id, [])
        if not lines or not set(lines) <= set(sent):
            problems.append(f"order {order_id}: {sent} sent, {lines} stored")
    sold = Counter(card_id for (card_id,) in query(settings, "SELECT card_id FROM buybacks"))
    for (_partner, item_id), count in report.sellbacks.items():
        if sold[item_id] < count:
            problems.append(f"sellback of {item_id}: {count} answered 200, {sold[item_id]} stored")
    return problems


def _grouped(settings: Settings, sql: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in query(settings, sql):
        grouped.setdefault(key, []).append(value)
    return grouped
