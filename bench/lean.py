"""db.lean against an older revision of it, and against no lean at all: CPU time per request of
the hot writes, and per statement, in one process, in interleaved blocks (process CPU time
moves far less than requests per second when other tenants take the cores).

    .venv/bin/python -m bench.lean --db sqlite --rounds 8
    .venv/bin/python -m bench.lean --db postgresql --rounds 8 --against 2b80ade

The sides are `lean.execute` swapped in place in one app (its callers look it up at each
call): `this` (the tree's), one per `--against` (clawvault/db/lean.py of that revision, read
with git show, or a lean.py at that path) and `sqlalchemy` (every statement through
`conn.execute`). Requests go through httpx's ASGI transport, every middleware included. The
statements part runs one INSERT (a ledger entry) `--statements` times in one write, after a
first statement (PostgreSQL: the transaction open, lean's prepared road), one per write as its
first statement (PostgreSQL: the road through SQLAlchemy's adapter, which begins the
transaction) and, on PostgreSQL, one per autocommit connection. The answer: each side's median
CPU µs and its ratio to `this`.

On 7 December 2026 (8 rounds of 150 requests a side, 30 for pulls of ten; 200 statements),
this tree's lean (public APIs only) against 2b80ade's (SQLAlchemy's and asyncpg's private
attributes): every request within 3% on both databases (SQLite: pull of one 1793 against 1786
µs, of ten 3047 / 3086, idempotent pull 3612 / 3500, sellback 1248 / 1268, quote 1254 / 1251;
PostgreSQL: 1639 / 1644, 1964 / 1951, 2903 / 2850, 1005 / 1000, 1279 / 1259), against 1.13-1.61x
for no lean (but the PostgreSQL quote, 0.99: it reads and writes in rounds, not through lean).
Per INSERT: in an open transaction SQLite 12 / 12 µs, PostgreSQL 65 / 70 (no lean: 57 and 167);
as a write's first statement PostgreSQL 438 / 385 (no lean 525): the adapter's DB-API cursor
(`run_sync`) costs ~50 µs more than the private begin did, and `exec_driver_sql` another ~45
(460 against 414 in a run of 16 rounds); in autocommit 285 / 269 (no lean 422)."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncConnection

from bench import pgserver
from bench.fastpath import API, client_of, prepare
from bench.fixtures import DESTINATION
from clawvault.app import create_app
from clawvault.db import lean
from clawvault.db.unit import Unit
from clawvault.settings import Settings

Execute = Callable[[AsyncConnection, Any, Any], Awaitable[lean.LeanResult]]
Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
Timed = Callable[[int], Awaitable[None]]


def lean_of(revision: str) -> ModuleType:
    """clawvault/db/lean.py as it was at `revision` (or the file at that path), loaded as a
    module of its own."""
    if Path(revision).is_file():
        return _module(Path(revision).stem, Path(revision))
    source = subprocess.run(
        ["git", "show", f"{revision}:clawvault/db/lean.py"],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="clawvault-lean-")) / f"lean_{revision}.py"
    path.write_text(source)
    return _module(f"lean_{revision}", path)


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def through_sqlalchemy(
    conn: AsyncConnection, statement: Any, params: Mapping[str, Any] | Sequence[Any]
) -> lean.LeanResult:
    result = await conn.execute(statement, params)
    rows = [dict(row) for row in result.mappings()] if result.returns_rows else []
    return lean.LeanResult(rows, result.rowcount)


async def interleaved(
    name: str, sides: dict[str, Execute], rounds: int, block: int, timed: Timed
) -> None:
    """`timed` run `block` times a side in each of `rounds` rounds, the sides in turn."""
    samples: dict[str, list[float]] = {side: [] for side in sides}
    serial = 0
    for _ in range(rounds):
        for side, execute in sides.items():
            lean.execute = execute  # type: ignore[assignment]
            started = time.process_time()
            for _ in range(block):
                await timed(serial)
                serial += 1
            samples[side].append((time.process_time() - started) / block * 1e6)
    medians = {side: statistics.median(found) for side, found in samples.items()}
    this = medians["this"]
    cells = "  ".join(f"{medians[side]:>8.0f} {medians[side] / this:>5.2f}" for side in sides)
    print(f"{name:<34} {cells}", flush=True)


async def measure(args: argparse.Namespace, url: str) -> None:
    from clawvault.ledger.repository import ADD_ENTRY

    againsts = args.against or ["2b80ade"]
    # SQLAlchemy's compiler lints the pulls' statements as it compiles them for `sqlalchemy`'s
    # side (their CTEs join on conditions it does not follow); lean compiles them unlinted.
    warnings.filterwarnings("ignore", message=".*cartesian product", category=SAWarning)
    sides: dict[str, Execute] = {
        "this": lean.execute,
        **{Path(against).stem: lean_of(against).execute for against in againsts},
        "sqlalchemy": through_sqlalchemy,
    }
    settings = Settings(
        database_url=url, ev_refresh_seconds=0, webhook_poll_seconds=0, sqlite_synchronous="NORMAL"
    )
    key = await prepare(settings, args.cards)
    headers = {"X-API-Key": key}
    app = create_app(settings.model_copy(update={"fast_gets": True}))
    print(f"{args.db}: median CPU µs and its ratio to this tree's, by side")
    print(f"{'':<34} " + "  ".join(f"{side:>14}" for side in sides))
    async with client_of(app) as client:
        packs = (await client.get(f"{API}/vm/available", headers=headers)).json()
        pack_ids = [p["id"] for p in packs if p["in_stock"] and p["max_per_mint"] >= 10]

        def buy(amount: int, idempotent: bool = False) -> Request:
            async def request(client: httpx.AsyncClient, n: int) -> httpx.Response:
                body = {
                    "id": pack_ids[n % len(pack_ids)],
                    "amount": amount,
                    "user_id": f"u{n % 500}",
                }
                sent = {**headers, "Idempotency-Key": f"bench-{n}"} if idempotent else headers
                return await client.post(f"{API}/vm/buy/init", headers=sent, json=body)

            return request

        held: list[str] = []
        for n in range(len(sides) * args.rounds * args.block // 10 + 1):
            held.extend(nft["id"] for nft in (await buy(10)(client, n)).json()["nfts"])
        spare = iter(held)

        async def sell(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post(
                f"{API}/vm/buyback", headers=headers, json={"item_id": next(spare)}
            )

        quoted = held[-3:]

        async def quote(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"item_ids": quoted[n % 3 : n % 3 + 1], "destination": DESTINATION}
            return await client.post(f"{API}/ship/quote", headers=headers, json=body)

        # (a pull of ten in blocks a fifth as long: the packs' stock lasts the run)
        workloads: list[tuple[str, Request, int]] = [
            ("POST vm/buy/init amount 1", buy(1), args.block),
            ("POST vm/buy/init amount 10", buy(10), max(10, args.block // 5)),
            # an Idempotency-Key: on PostgreSQL a transaction (the key's record commits with
            # the pull), no longer the pull in one autocommitted statement
            ("POST vm/buy/init 1, idempotent", buy(1, idempotent=True), args.block),
            ("POST vm/buyback", sell, args.block),
            ("POST ship/quote", quote, args.block),
        ]
        for name, request, block in workloads:

            async def timed(n: int, request: Request = request, name: str = name) -> None:
                answer = await request(client, n)
                if answer.status_code != 200:
                    raise SystemExit(f"{name}: {answer.status_code} {answer.text}")

            await interleaved(name, sides, args.rounds, block, timed)

    await statements(args, settings, sides, ADD_ENTRY)


async def statements(
    args: argparse.Namespace, settings: Settings, sides: dict[str, Execute], statement: Any
) -> None:
    """One INSERT per run: many in one write, one a write, one an autocommit connection."""
    from clawvault.core.runtime import Runtime
    from clawvault.db.engine import Database
    from clawvault.partners.service import partner_id

    runtime = Runtime(db=Database(settings.database_url, settings), settings=settings)
    now = datetime.now(UTC)
    partner = await partner_id(Unit(runtime.db), "bench")

    def entry(n: int) -> dict[str, Any]:
        return {
            "partner_id": partner,
            "kind": "pull",
            "amount_cents": -1,
            "reference": f"bench-{n}",
            "user_id": "bench",
            "created_at": now,
        }

    try:
        many = args.statements

        async def in_one_write(n: int) -> None:
            if n % many == 0:  # each block is one write of `many` statements

                async def work(conn: AsyncConnection) -> None:
                    await conn.execute(text("SELECT 1"))
                    for i in range(n, n + many):
                        await lean.execute(conn, statement, entry(i))

                await runtime.db.transaction(work, attempts=1, inline=True)

        # The per-statement CPU: a block of `many` calls is one call of in_one_write.
        await interleaved(f"INSERT, {many} in one write", sides, args.rounds, many, in_one_write)

        async def write_of_one(n: int) -> None:
            async def work(conn: AsyncConnection) -> None:
                await lean.execute(conn, statement, entry(10_000_000 + n))

            await runtime.db.transaction(work, attempts=1, inline=True)

        await interleaved(f"INSERT, {many} writes of one", sides, args.rounds, many, write_of_one)
        if runtime.db.is_postgres:

            async def alone(n: int) -> None:
                async with runtime.db.autocommit() as conn:
                    assert conn is not None
                    await lean.execute(conn, statement, entry(20_000_000 + n))

            await interleaved("INSERT, autocommit", sides, args.rounds, many, alone)
    finally:
        await runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--against",
        action="append",
        help="a revision of lean (or a lean.py) to compare, again for more (2b80ade)",
    )
    parser.add_argument("--cards", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=150)
    parser.add_argument("--statements", type=int, default=200)
    args = parser.parse_args()
    with pgserver.migrated(args.db, "lean") as url:
        asyncio.run(measure(args, url))


if __name__ == "__main__":
    main()
