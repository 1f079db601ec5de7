"""The heavy race run: tens of thousands of pulls, sellbacks and shipments from 64 concurrent
HTTP clients against several real `clawvault serve` processes on one database, optionally
with a kill -9 of one process mid-run; then the SQL checks of invariants 1-5 and of every 2xx.

    python -m bench.race_load --database sqlite --operations 25000
    python -m bench.race_load --database postgresql --operations 25000 --kill-after 8000
    python -m bench.race_load --database postgresql --url postgresql://... (an empty database)

Without --url it makes a throwaway database (PostgreSQL: a server of its own, as the tests do).
Exit status 0 only when no answer was unexpected and every check passed."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from clawvault.core.timeutil import utcnow
from clawvault.db import migrate
from clawvault.settings import Settings
from tests import pg
from tests.factories import make_pack, make_partner
from tests.invariants import violations
from tests.live import LiveServer, errors_logged, launch, stop_all
from tests.load import LoadPlan, LoadReport, exact_totals, run_load, unacknowledged

TIERS = ((100, 500, 70.0), (500, 2_000, 25.0), (2_000, 10_000, 5.0))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="an empty database to use instead of a throwaway one")
    parser.add_argument("--operations", type=int, default=25_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="--workers of each process")
    parser.add_argument("--kill-after", type=int, default=0, help="kill -9 one process then")
    parser.add_argument("--cards", type=int, default=600, help="cards of each pack's pool")
    return parser.parse_args()


def prepare(settings: Settings, servers: list[LiveServer], args: argparse.Namespace) -> LoadPlan:
    partners = [make_partner(settings, f"bench-partner-{n}") for n in range(2)]
    per_tier = (args.cards * 7 // 10, args.cards // 4, args.cards - args.cards * 19 // 20)
    shared = [
        make_pack(settings, tiers=TIERS, cards_per_tier=per_tier, seed=s, clock=utcnow)
        for s in (1, 2)
    ]
    private = make_pack(settings, tiers=TIERS, cards_per_tier=per_tier, seed=3, clock=utcnow)
    return LoadPlan(
        server_urls=[s.url for s in servers],
        keys=[p.key for p in partners],
        partner_names=[p.name for p in partners],
        shared_packs=shared,
        private_pack=private,
        clients=args.clients,
        operations_per_client=max(1, args.operations // args.clients),
    )


async def load(
    plan: LoadPlan, victim: LiveServer | None, kill_after: int
) -> tuple[LoadReport, float]:
    report = LoadReport()

    async def crash() -> None:
        if victim is None:
            return
        while report.operations < kill_after:  # noqa: ASYNC110 (a counter, polled)
            await asyncio.sleep(0.05)
        await asyncio.to_thread(victim.kill)
        print(f"killed -9 {victim.url} after {report.operations} operations", flush=True)
        await asyncio.to_thread(victim.restart)
        print(f"restarted {victim.url} at {report.operations} operations", flush=True)

    started = time.monotonic()
    await asyncio.gather(run_load(plan, report), crash())
    return report, time.monotonic() - started


def main() -> int:
    args = arguments()
    server: pg.PostgresServer | None = None
    workdir = Path(tempfile.mkdtemp(prefix="clawvault-race-"))
    url = args.url
    if url is None and args.database == "postgresql":
        server = pg.start()
        url = server.url
    elif url is None:
        url = f"sqlite:///{workdir / 'race.db'}"
    servers: list[LiveServer] = []
    try:
        migrate.upgrade(url)
        settings = Settings(database_url=url)
        servers = launch(
            [
                LiveServer(url, workers=args.workers, log_path=workdir / f"server-{n}.log")
                for n in range(args.processes)
            ]
        )
        plan = prepare(settings, servers, args)
        victim = servers[0] if args.kill_after else None
        report, seconds = asyncio.run(load(plan, victim, args.kill_after))
        logged = errors_logged(servers)
        stop_all(servers)
        servers = []
        result = summary(settings, plan, report, seconds, logged, exact=victim is None)
        result.update(database=args.database, processes=args.processes, workers=args.workers)
        print(json.dumps(result, indent=2))
        return 0 if result["ok"] else 1
    finally:
        stop_all(servers)
        if server is not None:
            server.stop()


def summary(
    settings: Settings,
    plan: LoadPlan,
    report: LoadReport,
    seconds: float,
    logged: list[str],
    *,
    exact: bool,
) -> dict[str, Any]:
    found = violations(settings)
    missing = unacknowledged(settings, report)
    totals = exact_totals(settings, plan, report) if exact else []
    by_operation: Counter[str] = Counter()
    for (operation, status, error), count in report.answers.items():
        by_operation[f"{operation} {status} {error or ''}".strip()] += count
    return {
        "ok": not (report.unexpected or found or missing or totals or logged),
        "operations": report.operations,
        "seconds": round(seconds, 1),
        "operations_per_second": round(report.operations / seconds, 1),
        "clients": plan.clients,
        "transport_errors": report.transport_errors,
        "transport_error_kinds": dict(report.transport_error_kinds),
        "cards_handed_out": sum(len(items) for _p, _u, items in report.sessions.values()),
        "answers": dict(sorted(by_operation.items())),
        "unexpected_answers": report.unexpected[:10],
        "invariant_violations": found,
        "acknowledged_but_missing": missing[:10],
        "totals_mismatch": totals,
        "server_errors_logged": logged[:10],
    }


if __name__ == "__main__":
    sys.exit(main())
