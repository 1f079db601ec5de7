"""Growth checks: does throughput hold as pools, inventories and contention grow?

Each check compares two closed-loop runs of the same request count over 64 connections (the
load generator's `--total` mode), so the pair is measured alike. The big pools are made by SQL
that copies a demo pack's cards (the API would take hours to build a million-card pool)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import text

from bench import fixtures, servers
from bench.fixtures import API, Fixture, line
from clawvault.db.engine import Database
from clawvault.settings import Settings as AppSettings

T = TypeVar("T")
KEY_SPACE = 1 << 62
CARD_COLUMNS = (
    "name, image, back_image, attributes, type, custodian, mint_address, collection_address, "
    "token_standard, fmv_cents, fmv_source, fmv_as_of, tier_id"
)


def _random_key(db: Database) -> str:
    if db.is_postgres:
        return f"floor(random() * {KEY_SPACE})::bigint"
    return f"abs(random()) % {KEY_SPACE}"


async def _clone_pack(db: Database, source_id: str, new_id: str, cards: int) -> None:
    """A new pack like `source_id` (same tiers and price) holding `cards` available cards."""
    async with db.write() as conn:
        pack_cols = [
            r[0]
            for r in (
                await conn.execute(text("SELECT * FROM packs WHERE 1 = 0"))
            ).cursor.description
        ]
        rest = [c for c in pack_cols if c not in ("id", "slug", "name")]
        await conn.execute(
            text(
                f"INSERT INTO packs (id, slug, name, {', '.join(rest)}) "
                f"SELECT :new, :new, :new, {', '.join(rest)} FROM packs WHERE id = :src"
            ),
            {"new": new_id, "src": source_id},
        )
        await conn.execute(
            text(
                "INSERT INTO pack_tiers (pack_id, tier_id, name, color, lower_cents, upper_cents, "
                "weight) SELECT :new, tier_id, name, color, lower_cents, upper_cents, weight "
                "FROM pack_tiers WHERE pack_id = :src"
            ),
            {"new": new_id, "src": source_id},
        )
        source_count = (
            await conn.execute(
                text("SELECT count(*) FROM cards WHERE pack_id = :src"), {"src": source_id}
            )
        ).scalar_one()
        copies = cards // int(source_count) + 1
        await conn.execute(
            text(
                "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :k) "
                f"INSERT INTO cards (id, pack_id, {CARD_COLUMNS}, pool_key, status, updated_at) "
                f"SELECT :new || ':' || CAST(seq.n AS VARCHAR(12)) || ':' || c.id, :new, "
                f"{', '.join('c.' + col.strip() for col in CARD_COLUMNS.split(','))}, "
                f"{_random_key(db)}, 'available', c.updated_at "
                # In pool order, so a partial copy holds every tier in the source's proportions.
                "FROM seq CROSS JOIN cards c WHERE c.pack_id = :src "
                "ORDER BY seq.n, c.pool_key LIMIT :total"
            ),
            {"k": copies - 1, "new": new_id, "src": source_id, "total": cards},
        )
    if db.is_postgres:
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("ANALYZE cards"))


async def _give_cards(db: Database, partner_id: int, pack_id: str, user: str, count: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (partner_id, user_id, created_at) "
                "VALUES (:p, :u, CURRENT_TIMESTAMP)"
            ),
            {"p": partner_id, "u": user},
        )
        await conn.execute(
            text(
                "UPDATE cards SET status = 'held', owner_partner_id = :p, owner_user_id = :u, "
                "purchased_at = updated_at WHERE id IN (SELECT id FROM cards WHERE pack_id = :pack "
                "AND status = 'available' ORDER BY pool_key LIMIT :n)"
            ),
            {"p": partner_id, "u": user, "pack": pack_id, "n": count},
        )


async def _drain(db: Database, pack_id: str, keep_one_in: int) -> int:
    """Takes all but about 1 in `keep_one_in` available cards of the pack out of its pool (held
    by a user nobody asks about), every tier alike."""
    async with db.write() as conn:
        result = await conn.execute(
            text(
                "UPDATE cards SET status = 'held', owner_user_id = 'drained' "
                "WHERE pack_id = :pack AND status = 'available' AND pool_key % :m != 0"
            ),
            {"pack": pack_id, "m": keep_one_in},
        )
        return int(result.rowcount)


async def _partner_id(db: Database) -> int:
    async with db.read() as conn:
        return int(
            (await conn.execute(text("SELECT id FROM partners WHERE name = 'bench'"))).scalar_one()
        )


def _closed_total(
    server: Any, fx: Fixture, lines: list[str], total: int, s: Any, name: str, connections: int
) -> dict[str, Any]:
    path = fixtures.write_lines(s.workdir / f"growth_{name}.txt", lines)
    command = [sys.executable, "-m", "bench.loadgen", "--port", str(server.port)]
    command += ["--requests", str(path), "--total", str(total), "--connections", str(connections)]
    for k, v in fx.headers.items():
        command += ["--header", f"{k}: {v}"]
    out = subprocess.run(command, capture_output=True, text=True, cwd=servers.ROOT, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr}")
    return dict(json.loads(out.stdout))


def _pulls(pack_id: str) -> list[str]:
    body = {"id": pack_id, "amount": 1}
    return [
        line("POST", API + "/vm/buy/init", {**body, "user_id": f"grower{i}"}) for i in range(256)
    ]


def _pair(
    name: str, a: dict[str, Any], b: dict[str, Any], label_a: str, label_b: str
) -> dict[str, Any]:
    ratio = a["achieved_rate"] / b["achieved_rate"] if b["achieved_rate"] else 0.0
    errors = a["status_errors"] + a["socket_errors"] + b["status_errors"] + b["socket_errors"]
    return {
        "ratio": ratio,
        label_a: a,
        label_b: b,
        "detail": (
            f"{a['achieved_rate']:.0f} vs {b['achieved_rate']:.0f} req/s"
            + (f"; {errors} errors" if errors else "")
        ),
    }


def run(
    db_name: str, url: str, server: Any, fx: Fixture, s: Any, log: Callable[[str], None]
) -> dict[str, Any]:
    def with_db(work: Callable[[Database], Awaitable[T]]) -> T:
        """One event loop per call, so one Database (its pool is bound to the loop)."""

        async def main() -> T:
            db = Database(url, AppSettings(database_url=url))
            try:
                return await work(db)
            finally:
                await db.dispose()

        return asyncio.run(main())

    big = s.big_pool
    source = fx.buy_packs[0]["id"]
    out: dict[str, Any] = {}

    async def setup(db: Database) -> int:
        log(
            f"{db_name} growth: pools of 1,000 and {big:,} cards, "
            f"inventories of 100 and {s.big_inventory:,} items"
        )
        await _clone_pack(db, source, "bench-pool-small", 1_000)
        await _clone_pack(db, source, "bench-pool-big", big)
        await _clone_pack(db, source, "bench-drain", s.drain_pool)
        partner = await _partner_id(db)
        await _give_cards(db, partner, "bench-pool-big", "inv100", 100)
        await _give_cards(db, partner, "bench-pool-big", "inv100k", s.big_inventory)
        return partner

    try:
        with_db(setup)
        pulls = s.growth_pulls
        small = _closed_total(server, fx, _pulls("bench-pool-small"), pulls, s, "small", 64)
        large = _closed_total(server, fx, _pulls("bench-pool-big"), pulls, s, "big", 64)
        out["pool 1,000,000 vs 1,000 cards (pulls/s)"] = _pair(
            "pool", large, small, f"pool_{big}", "pool_1000"
        )
        out["pool 1,000,000 vs 1,000 cards (pulls/s)"]["detail"] += f" ({big:,} vs 1,000 cards)"
        log(f"  pool: {out['pool 1,000,000 vs 1,000 cards (pulls/s)']['detail']}")

        # A third of what is left after draining, so no tier runs out (which would refuse
        # every pull of the pack, by the honest-odds rule).
        few = max(50, s.drain_pool // 300)
        # One round of the 64 connections first, unmeasured: the pack's first pulls of the run
        # (cold buffers and caches) made "first" the slower side by up to half.
        _closed_total(server, fx, _pulls("bench-drain"), 64, s, "drain_warm", 64)
        first = _closed_total(server, fx, _pulls("bench-drain"), few, s, "first", 64)
        drained = with_db(lambda db: _drain(db, "bench-drain", 100))
        last = _closed_total(server, fx, _pulls("bench-drain"), few, s, "last", 64)
        out["last 1% vs first 1% of a pool (pulls/s)"] = _pair(
            "drain", last, first, "last_1pct", "first_1pct"
        )
        out["last 1% vs first 1% of a pool (pulls/s)"]["drained_cards"] = drained
        log(f"  last 1%: {out['last 1% vs first 1% of a pool (pulls/s)']['detail']}")

        one = fixtures.buy_one_pack(fx, 0)
        spread = fixtures.buy(1)(fx, 0)
        one_r = _closed_total(server, fx, one, pulls * 2, s, "one_pack", 64)
        spread_r = _closed_total(server, fx, spread, pulls * 2, s, "spread", 64)
        out["64 clients on one pack vs spread (pulls/s)"] = _pair(
            "contention", one_r, spread_r, "one_pack", "spread"
        )
        log(f"  one pack: {out['64 clients on one pack vs spread (pulls/s)']['detail']}")

        # A page (`limit=100`, the first: newest items) of each inventory, 64 connections, 2,000
        # requests each (400 took a fifth of a second: one stall moved the ratio by a third).
        inv_small = [line("GET", f"{API}/inventory/inv100?limit=100")]
        inv_big = [line("GET", f"{API}/inventory/inv100k?limit=100")]
        a = _closed_total(server, fx, inv_big, 2000, s, "inv_big", 64)
        b = _closed_total(server, fx, inv_small, 2000, s, "inv_small", 64)
        check = _pair("inventory", a, b, "items_100000", "items_100")
        check["detail"] += f" (first page of 100: {s.big_inventory:,} vs 100 items)"
        out["inventory 100 vs 100,000 items (req/s of 100,000 / of 100)"] = check
        log(f"  inventory: {check['detail']}")
    except Exception as exc:  # a failed check is reported, the rest of the run is kept
        log(f"  growth checks stopped: {exc!r}")
        out["error"] = {"detail": repr(exc)}
    return out
