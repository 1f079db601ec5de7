"""Is the fast path (clawvault.core.fastpath) still worth its second road? CPU time per request
of the same requests answered by one app with the fast path and one without, in one process, in
interleaved blocks: process CPU time (the event loop and the database threads) moves far less
than requests per second when other tenants take the cores.

    .venv/bin/python -m bench.fastpath --db sqlite --rounds 6 --block 150
    .venv/bin/python -m bench.fastpath --db postgresql --rounds 6 --block 150

Requests go through httpx's ASGI transport (the same cost on both sides), every middleware
included (request ids, rate limits, idempotency). The answer: each workload's median CPU µs a
request with and without, and their ratio; the road stays where the ratio is at least 1.5.

On 7 December 2026 (6 rounds of 150 requests a side): vm/available 1.65x on SQLite and on
PostgreSQL, an inventory of 20 items 1.85x and 1.36x; the writes 1.12-1.19x. In one process the
client's own work (httpx, about half of each side's CPU) is counted on both sides, so every ratio
here is smaller than a served worker's: the decision which routes keep the fast path is made with
`bench/cpu.py` on a served worker, `CLAWVAULT_FAST_GETS` / `CLAWVAULT_FAST_POSTS` at 1 and 0
interleaved (ship/quote 1.53-1.82x: it stays; vm/buyback 1.28-1.43x and buy/init 1.03-1.09x:
they left). This script stays for what it measures well: the CPU of the app alone, quickly."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from bench import pgserver
from bench.fixtures import DESTINATION
from clawvault.app import create_app
from clawvault.db.unit import Unit
from clawvault.settings import Settings

API = "/api/v1"
Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def prepare(settings: Settings, cards: int) -> str:
    """A seeded demo catalog and a partner key (through the CLI's own functions)."""
    from clawvault.core.runtime import Runtime
    from clawvault.db.engine import Database
    from clawvault.db.models import Environment
    from clawvault.demo.service import seed_demo
    from clawvault.partners.service import create_key, create_partner

    runtime = Runtime(db=Database(settings.database_url, settings), settings=settings)
    try:
        await seed_demo(runtime, Unit(runtime.db), cards, 1)
        await create_partner(Unit(runtime.db), "bench")
        return await create_key(Unit(runtime.db), "bench", Environment.PRODUCTION)
    finally:
        await runtime.db.dispose()


async def measure(args: argparse.Namespace, url: str) -> None:
    base = Settings(
        database_url=url, ev_refresh_seconds=0, webhook_poll_seconds=0, sqlite_synchronous="NORMAL"
    )
    key = await prepare(base, args.cards)
    headers = {"X-API-Key": key}
    fast = create_app(base.model_copy(update={"fast_gets": True, "fast_posts": True}))
    slow = create_app(base.model_copy(update={"fast_gets": False, "fast_posts": False}))
    async with client_of(fast) as with_fast, client_of(slow) as without:
        packs = (await with_fast.get(f"{API}/vm/available", headers=headers)).json()
        pack_ids = [p["id"] for p in packs if p["in_stock"] and p["max_per_mint"] >= 10]
        pack = pack_ids[0]

        async def buy(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"id": pack_ids[n % len(pack_ids)], "amount": 1, "user_id": f"u{n % 500}"}
            return await client.post(f"{API}/vm/buy/init", headers=headers, json=body)

        # Items to sell back (each once) and a holder of 20 items to list and to quote.
        held = []
        for n in range(2 * args.rounds * args.block):
            held.extend(nft["id"] for nft in (await buy(with_fast, n)).json()["nfts"])
        spare = iter(held)
        holder, holder_items = "holder", []
        for _ in range(2):
            body = {"id": pack, "amount": 10, "user_id": holder}
            answer = await with_fast.post(f"{API}/vm/buy/init", headers=headers, json=body)
            holder_items.extend(nft["id"] for nft in answer.json()["nfts"])

        async def available(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get(f"{API}/vm/available", headers=headers)

        async def inventory(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get(f"{API}/inventory/{holder}", headers=headers)

        async def sell(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"item_id": next(spare)}
            return await client.post(f"{API}/vm/buyback", headers=headers, json=body)

        async def quote(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"item_ids": holder_items[n % 3 : n % 3 + 1], "destination": DESTINATION}
            return await client.post(f"{API}/ship/quote", headers=headers, json=body)

        workloads: list[tuple[str, Request]] = [
            ("vm/available", available),
            ("inventory", inventory),
            ("buy/init amount 1", buy),
            ("vm/buyback", sell),
            ("ship/quote", quote),
        ]
        print(f"{'workload':<20} {'fast µs':>9} {'routes µs':>10} {'ratio':>6}  (medians)")
        for name, request in workloads:
            samples: dict[str, list[float]] = {"fast": [], "routes": []}
            serial = 0
            for _ in range(args.rounds):
                for side, client in (("fast", with_fast), ("routes", without)):
                    started = time.process_time()
                    for _ in range(args.block):
                        answer = await request(client, serial)
                        serial += 1
                        if answer.status_code != 200:
                            raise SystemExit(f"{name}: {answer.status_code} {answer.text}")
                    spent = time.process_time() - started
                    samples[side].append(spent / args.block * 1e6)
            fast_us = statistics.median(samples["fast"])
            routes_us = statistics.median(samples["routes"])
            print(f"{name:<20} {fast_us:>9.0f} {routes_us:>10.0f} {routes_us / fast_us:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--cards", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=200)
    args = parser.parse_args()
    with pgserver.migrated(args.db, "fastpath") as url:
        asyncio.run(measure(args, url))


if __name__ == "__main__":
    main()
