"""Is the pull in one statement (PostgreSQL) still worth its second way? Pulls per second of the
same pulls taken in one statement (`clawvault.pulls.service.pull_in_one`) and card by card in a
transaction (`pull_card_by_card`, the way every pull can take), in one process, in interleaved
blocks of concurrent pulls against one PostgreSQL server.

    .venv/bin/python -m bench.pull_paths --rounds 6 --block 400 --concurrency 16

Both ways are called as `buy` calls them, with the same runtime and the same users (each has a
seed before the first block, so every pull can be one statement). The answer: each amount's
median pulls per second both ways and their ratio; the second way stays where the ratio is at
least 1.5 (issue "One way through the code"). Wall time, not CPU: the one statement saves round
trips and the server's work, which process CPU time does not see.

On 7 December 2026 (6 rounds of 400 pulls a side, 16 at a time, 40,000 cards, the machine
shared with two test suites): see docs/benchmarks (pull of one and pull of ten)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench import pgserver
from bench.fastpath import prepare
from clawvault.core.runtime import Runtime
from clawvault.db import migrate
from clawvault.db.engine import Database
from clawvault.db.models import Environment
from clawvault.partners.auth import Caller
from clawvault.pulls import service
from clawvault.settings import Settings

Way = Callable[[Runtime, Caller, str, str, Any, Any], Awaitable[dict[str, Any] | None]]
USERS = 64


async def measure(args: argparse.Namespace, url: str) -> None:
    settings = Settings(database_url=url, ev_refresh_seconds=0, webhook_poll_seconds=0)
    await prepare(settings, args.cards)
    runtime = Runtime(db=Database(url, settings), settings=settings)
    try:
        async with runtime.db.read() as conn:
            from sqlalchemy import select

            from clawvault.db.models import Pack, Partner

            partner_id = (
                await conn.execute(select(Partner.id).where(Partner.name == "bench"))
            ).scalar_one()
            packs = (
                await conn.execute(
                    select(Pack.id).where(Pack.enable.is_(True), Pack.max_per_mint >= 10)
                )
            ).scalars()
            pack_ids = list(packs)
        caller = Caller(partner_id, Environment.PRODUCTION)
        for user in range(USERS):  # every user's seed, committed by a first pull
            await service.buy(
                runtime, caller, {"id": pack_ids[0], "amount": 1, "user_id": f"u{user}"}
            )

        ways: dict[str, Way] = {
            "one statement": service.pull_in_one,
            "card by card": service.pull_card_by_card,
        }
        print(
            f"{'amount':<7} {'one statement/s':>16} {'card by card/s':>15} {'ratio':>6}  (medians)"
        )
        serial = 0

        async def block(way: Way, amount: int, pulls: int, first: int) -> tuple[float, int]:
            """`pulls` pulls of `amount`, `args.concurrency` at a time: the pulls a second, and
            how many wrote nothing (then taken card by card, as `buy` does)."""
            queue = list(range(first, first + pulls))

            async def worker() -> int:
                missed = 0
                while queue:
                    n = queue.pop()
                    ask = (pack_ids[n % len(pack_ids)], f"u{n % USERS}", amount, runtime.clock())
                    if await way(runtime, caller, *ask) is None:
                        missed += 1
                        await service.pull_card_by_card(runtime, caller, *ask)
                return missed

            started = time.perf_counter()
            missed = await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            return pulls / (time.perf_counter() - started), sum(missed)

        for way in ways.values():  # warm both ways: prepared statements, plans, caches
            await block(way, 10, args.block // 4, serial)
            serial += args.block // 4
        print(f"{'amount':<7} {'one statement/s':>16} {'card by card/s':>15} {'ratio':>6}  medians")
        for amount in (1, 10):
            rates: dict[str, list[float]] = {name: [] for name in ways}
            fallbacks = 0
            for _ in range(args.rounds):
                for name, way in ways.items():
                    rate, missed = await block(way, amount, args.block, serial)
                    serial += args.block
                    rates[name].append(rate)
                    fallbacks += missed if name == "one statement" else 0
            one = statistics.median(rates["one statement"])
            card = statistics.median(rates["card by card"])
            ratio = one / card
            print(f"{amount:<7} {one:>16.0f} {card:>15.0f} {ratio:>6.2f}  ({fallbacks} fell back)")
    finally:
        await runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    pg = pgserver.start()
    try:
        migrate.upgrade(pg.url)
        asyncio.run(measure(args, pg.url))
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
