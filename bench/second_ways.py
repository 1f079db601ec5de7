"""Is each second way of a write still worth keeping? PostgreSQL's one-statement and shared-round
ways against the way every request can take (a transaction), on the same requests, in one
process, in interleaved blocks of concurrent requests against one PostgreSQL server:

- a pull of one and a pull of ten: `pulls.in_one.way.pull_in_one` against
  `pulls.service.pull_card_by_card`;
- a sellback: `buyback.in_one.sell_in_one` against `sell_in_transaction`;
- a quote: `shipping.service.add_quote` (its rounds shared by the quotes in flight) against
  `quote_in_transaction`.

    .venv/bin/python -m bench.second_ways --rounds 6 --block 300 --concurrency 16

Each way is called as its service calls it, with the same runtime and users (each has a seed
before the first block, so every pull can be one statement). A one-statement way that writes
nothing is followed by its transaction, as the service does, and counted. The answer: each
workload's median requests a second both ways and their ratio; a second way stays where the
ratio is at least 1.5 (issue "One way through the code"). Wall time, not CPU: these ways save
round trips, commits and the server's work, which the process's CPU time does not see."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench import pgserver
from bench.fastpath import prepare
from bench.fixtures import DESTINATION
from clawvault.buyback import in_one
from clawvault.buyback import service as buyback
from clawvault.core.runtime import Runtime
from clawvault.db.engine import Database
from clawvault.db.models import Card, Environment, Pack, Partner
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.pulls import service as pulls
from clawvault.settings import Settings
from clawvault.shipping import service as shipping
from clawvault.shipping.domain import new_quote, zone_for

USERS = 64
# A request of a workload: the n-th, by one way (None: that way wrote nothing).
Request = Callable[[int], Awaitable[object | None]]


async def measure(args: argparse.Namespace, url: str) -> None:
    settings = Settings(database_url=url, ev_refresh_seconds=0, webhook_poll_seconds=0)
    await prepare(settings, args.cards)
    runtime = Runtime(db=Database(url, settings), settings=settings)
    try:
        await run(args, runtime)
    finally:
        await runtime.db.dispose()


async def run(args: argparse.Namespace, runtime: Runtime) -> None:
    async with runtime.db.read() as conn:
        partner_id = (
            await conn.execute(select(Partner.id).where(Partner.name == "bench"))
        ).scalar_one()
        found = await conn.execute(
            select(Pack.id).where(Pack.enable.is_(True), Pack.max_per_mint >= 10)
        )
        pack_ids = list(found.scalars())
    caller = Caller(partner_id, Environment.PRODUCTION)

    def pull_with(way: Callable[..., Awaitable[dict[str, Any] | None]], amount: int) -> Request:
        async def request(n: int) -> object | None:
            ask = (pack_ids[n % len(pack_ids)], f"u{n % USERS}", amount, runtime.clock())
            return await way(runtime, Unit(runtime.db), caller, *ask)

        return request

    async def pulled_items(count: int) -> list[str]:
        items: list[str] = []
        while len(items) < count:
            n = len(items)
            body = {"id": pack_ids[n % len(pack_ids)], "amount": 10, "user_id": f"u{n % USERS}"}
            items.extend(
                nft["id"]
                for nft in (await pulls.buy(runtime, Unit(runtime.db), caller, body))["nfts"]
            )
        return items

    for user in range(USERS):  # every user's seed, committed by a first pull
        await pulls.buy(
            runtime,
            Unit(runtime.db),
            caller,
            {"id": pack_ids[0], "amount": 1, "user_id": f"u{user}"},
        )

    # Items to sell back (each once) and one user's items to quote.
    to_sell = iter(await pulled_items(2 * args.rounds * args.block + 2 * args.block))

    def sell_with(way: Callable[..., Awaitable[dict[str, Any] | None]]) -> Request:
        async def request(n: int) -> object | None:
            return await way(runtime, Unit(runtime.db), caller, next(to_sell), runtime.clock())

        return request

    holder = "u0"
    async with runtime.db.read() as conn:
        held = await conn.execute(
            select(Card.id)
            .where(Card.owner_partner_id == partner_id, Card.owner_user_id == holder)
            .limit(3)
        )
        quote_items = list(held.scalars())
    zone = zone_for("US", DESTINATION.get("state"))

    def quote_with(way: Callable[..., Awaitable[Any]]) -> Request:
        async def request(n: int) -> object | None:
            item_ids = quote_items[n % 3 : n % 3 + 1]
            now = runtime.clock()

            def quote_of(cards: Any) -> Any:
                values, rates = new_quote(
                    holder, list(cards), "id", DESTINATION, zone, now, timedelta(minutes=15)
                )
                values["partner_id"] = partner_id
                return values, rates

            return await way(Unit(runtime.db), item_ids, quote_of)

        return request

    workloads: list[tuple[str, Request, Request, Request | None]] = [
        # name, second way, the transaction, what follows a second way that wrote nothing
        (
            "pull of one",
            pull_with(pulls.pull_in_one, 1),
            pull_with(pulls.pull_card_by_card, 1),
            pull_with(pulls.pull_card_by_card, 1),
        ),
        (
            "pull of ten",
            pull_with(pulls.pull_in_one, 10),
            pull_with(pulls.pull_card_by_card, 10),
            pull_with(pulls.pull_card_by_card, 10),
        ),
        ("sellback", sell_with(in_one.sell_in_one), sell_with(buyback.sell_in_transaction), None),
        ("quote", quote_with(shipping.add_quote), quote_with(shipping.quote_in_transaction), None),
    ]
    serial = 0

    async def block(request: Request, then: Request | None, count: int) -> tuple[float, int]:
        """`count` requests, `args.concurrency` at a time: requests a second, and how many
        the way did not write (followed by `then`)."""
        nonlocal serial
        queue = list(range(serial, serial + count))
        serial += count

        async def worker() -> int:
            missed = 0
            while queue:
                n = queue.pop()
                if await request(n) is None:
                    missed += 1
                    if then is None:
                        raise SystemExit("a second way wrote nothing and has no follow-up")
                    await then(n)
            return missed

        started = time.perf_counter()
        missed = await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        return count / (time.perf_counter() - started), sum(missed)

    print(f"{'workload':<13} {'second way/s':>13} {'transaction/s':>14} {'ratio':>6}  medians")
    for name, second, transaction, then in workloads:
        for way in (second, transaction):  # warm both: prepared statements, plans, caches
            await block(way, then, args.block // 4)
        rates: dict[str, list[float]] = {"second": [], "transaction": []}
        fell_back = 0
        for _ in range(args.rounds):
            rate, missed = await block(second, then, args.block)
            rates["second"].append(rate)
            fell_back += missed
            rates["transaction"].append((await block(transaction, None, args.block))[0])
        one = statistics.median(rates["second"])
        other = statistics.median(rates["transaction"])
        print(
            f"{name:<13} {one:>13.0f} {other:>14.0f} {one / other:>6.2f}  ({fell_back} fell back)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with pgserver.migrated("postgresql", "second-ways") as url:
        asyncio.run(measure(args, url))


if __name__ == "__main__":
    main()
