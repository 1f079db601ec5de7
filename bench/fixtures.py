"""The data a run needs, made through the Partner API itself: users holding items, items to
sell back. Written as request files for the load generators (`METHOD<TAB>PATH<TAB>BODY`)."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

API = "/api/v1"
DESTINATION = {
    "name": "Ada Lovelace",
    "line1": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
}


def line(method: str, path: str, body: dict[str, Any] | None = None) -> str:
    return f"{method}\t{path}\t{orjson.dumps(body).decode() if body is not None else ''}"


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Fixture:
    url: str
    key: str
    packs: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, list[str]] = field(default_factory=dict)  # user -> item ids
    spare_items: list[str] = field(default_factory=list)  # held, never used: for sellbacks
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}

    @property
    def buy_packs(self) -> list[dict[str, Any]]:
        return [p for p in self.packs if p["max_per_mint"] >= 10 and p["in_stock"]]

    def load_packs(self) -> None:
        answer = httpx.get(self.url + API + "/vm/available", headers=self.headers, timeout=30)
        answer.raise_for_status()
        self.packs = answer.json()

    async def _buy_many(self, orders: Sequence[tuple[str, str, int]]) -> list[list[str]]:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(
            base_url=self.url, headers=self.headers, timeout=60, limits=limits
        ) as client:
            gate = asyncio.Semaphore(16)

            async def buy(user: str, pack_id: str, amount: int) -> list[str]:
                # A pack that ran out (the workloads before this one pulled from it) passes
                # the order on to the next pack.
                ids = [p["id"] for p in self.buy_packs] or [pack_id]
                start = ids.index(pack_id) if pack_id in ids else 0
                async with gate:
                    for candidate in ids[start:] + ids[:start]:
                        body = {"id": candidate, "amount": amount, "user_id": user}
                        answer = await client.post(API + "/vm/buy/init", json=body)
                        if answer.status_code != 400 or "out of stock" not in answer.text:
                            break
                    else:
                        raise RuntimeError("every pack is out of stock: seed more (--cards)")
                    answer.raise_for_status()
                    return [n["id"] for n in answer.json()["nfts"]]

            return await asyncio.gather(*(buy(u, p, a) for u, p, a in orders))

    def buy_many(self, orders: Sequence[tuple[str, str, int]]) -> list[list[str]]:
        return asyncio.run(self._buy_many(orders))

    def make_users(self, count: int, items_each: int, prefix: str) -> list[str]:
        packs = self.buy_packs
        orders = []
        names = [f"{prefix}{i}" for i in range(count)]
        for i, user in enumerate(names):
            left = items_each
            while left > 0:
                orders.append((user, packs[i % len(packs)]["id"], min(10, left)))
                left -= 10
        for (user, _p, _a), ids in zip(orders, self.buy_many(orders), strict=True):
            self.users.setdefault(user, []).extend(ids)
        return names

    def take_spare_items(self, count: int) -> list[str]:
        """`count` held items never used before (bought now if need be), for sellbacks."""
        missing = count - len(self.spare_items)
        if missing > 0:
            self.load_packs()  # which packs still have stock
            packs = self.buy_packs
            orders = [
                (f"seller{next(self._serial) % 997}", packs[i % len(packs)]["id"], 10)
                for i in range((missing + 9) // 10)
            ]
            for ids in self.buy_many(orders):
                self.spare_items.extend(ids)
        taken, self.spare_items = self.spare_items[:count], self.spare_items[count:]
        return taken


# The workloads of the table: each gives the request lines of one run.


def vm_available(_fx: Fixture, _n: int) -> list[str]:
    return [line("GET", API + "/vm/available")]


def inventory(fx: Fixture, _n: int) -> list[str]:
    return [line("GET", f"{API}/inventory/{u}") for u in fx.users if u.startswith("inv50_")]


def ship_quote(fx: Fixture, _n: int) -> list[str]:
    return [
        line("POST", API + "/ship/quote", {"item_ids": items[:1], "destination": DESTINATION})
        for u, items in fx.users.items()
        if u.startswith("inv50_")
    ]


def buy(amount: int) -> Any:
    def make(fx: Fixture, _n: int) -> list[str]:
        packs = fx.buy_packs
        return [
            line(
                "POST",
                API + "/vm/buy/init",
                {"id": packs[i % len(packs)]["id"], "amount": amount, "user_id": f"buyer{i}"},
            )
            for i in range(512)
        ]

    return make


def buy_one_pack(fx: Fixture, _n: int) -> list[str]:
    pack = fx.buy_packs[0]["id"]
    return [
        line("POST", API + "/vm/buy/init", {"id": pack, "amount": 1, "user_id": f"buyer{i}"})
        for i in range(512)
    ]


def buyback(fx: Fixture, n: int) -> list[str]:
    return [line("POST", API + "/vm/buyback", {"item_id": i}) for i in fx.take_spare_items(n)]


def mixed(fx: Fixture, n: int) -> list[str]:
    """70% inventory, 20% packs, 8% pulls, 1% sellbacks, 1% quotes, in a fixed shuffled order."""
    rng = random.Random(8)
    inv, packs, pulls, quotes = (
        inventory(fx, 0),
        vm_available(fx, 0),
        buy(1)(fx, 0),
        ship_quote(fx, 0),
    )
    kinds = ["inv"] * 70 + ["packs"] * 20 + ["pull"] * 8 + ["sell"] + ["quote"]
    plan = [kinds[rng.randrange(100)] for _ in range(n)]
    sells = iter(buyback(fx, plan.count("sell")))
    out = []
    for i, kind in enumerate(plan):
        if kind == "inv":
            out.append(inv[i % len(inv)])
        elif kind == "packs":
            out.append(packs[0])
        elif kind == "pull":
            out.append(pulls[i % len(pulls)])
        elif kind == "sell":
            out.append(next(sells))
        else:
            out.append(quotes[i % len(quotes)])
    return out
