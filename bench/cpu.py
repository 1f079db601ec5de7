"""CPU time per request, by process: the workers' and PostgreSQL's, for comparing two versions
of the code on a noisy machine (CPU time per request moves far less than requests per second
when other tenants take the cores). One server, the same fixtures, closed-loop runs of each
workload in turn, `--rounds` times.

    .venv/bin/python -m bench.cpu --db postgresql --only "buy/init amount 1" --rounds 3

Environment variables reach the server (and `PYTHONPATH=<a copy of an older tree>` runs that
code instead), so an A/B is two invocations, or better several interleaved."""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import tempfile
from pathlib import Path

from bench import pgserver
from bench.run import WORKLOADS, Settings, closed, drain, serve_seeded


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _postgres_pids() -> list[int]:
    """Every process of the postgres system user (the benchmark's own server runs as it)."""
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _total(pids: list[int]) -> float:
    return sum(_cpu_seconds(pid) for pid in pids)


STATEMENTS_SQL = """
SELECT calls, plans, total_plan_time / greatest(calls, 1) AS plan_ms,
       total_exec_time / greatest(calls, 1) AS exec_ms, query
FROM pg_stat_statements
ORDER BY total_plan_time + total_exec_time DESC
LIMIT $1
"""


async def _print_statements(url: str, limit: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        # The library, preloaded, counts from the start; the extension only adds its view.
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for row in await conn.fetch(STATEMENTS_SQL, limit):
            query = " ".join(row["query"].split())[:150]
            print(
                f"{row['calls']:>8} calls {row['plans']:>8} plans "
                f"{row['plan_ms']:.3f} + {row['exec_ms']:.3f} ms  {query}"
            )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--only", default="buy/init amount 1", help="comma-separated workloads")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--pg-setting", action="append", default=[], help="a PostgreSQL setting, name=value"
    )
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        help="PostgreSQL: print the N statements that took the most time (pg_stat_statements: "
        "calls, plans, planning and execution ms per call)",
    )
    args = parser.parse_args()
    names = args.only.split(",")
    workloads = [w for w in WORKLOADS if w.name in names]
    workdir = Path(tempfile.mkdtemp(prefix="clawvault-cpu-"))
    s = Settings(
        duration=args.duration,
        warmup=2.0,
        connections=args.connections,
        workers=args.workers,
        cards=args.cards,
        workdir=workdir,
    )
    pg_settings = list(args.pg_setting)
    if args.statements:
        pg_settings += [
            "shared_preload_libraries=pg_stat_statements",
            "pg_stat_statements.track_planning=on",
        ]
    pg = pgserver.start(tuple(pg_settings)) if args.db == "postgresql" else None
    url = pg.url if pg is not None else f"sqlite:///{workdir / 'cpu.db'}"
    try:
        server, fx = serve_seeded(url, s)
        try:
            print(f"{'workload':<22} {'req/s':>7} {'worker ms/req':>14} {'pg ms/req':>10}")
            for _round in range(args.rounds):
                for w in workloads:
                    warm = w.make(fx, int(1500 * s.warmup) + 500 if w.unique else 0)
                    warmed = closed(server.url, fx.headers, warm, s, s.warmup, "warm")
                    drain(server.url, fx.headers, warm)
                    # As bench.run: enough unique data (sellbacks) for the measured run, none
                    # used twice (a second sellback of an item is a cheap error).
                    need = int(max(warmed["rps"], 100) * s.duration * 1.5) + 500
                    lines = w.make(fx, need if w.unique else 0)
                    workers = server.workers()
                    pg_pids = _postgres_pids() if pg is not None else []
                    workers_before, pg_before = _total(workers), _total(pg_pids)
                    result = closed(server.url, fx.headers, lines, s, s.duration, "measured")
                    drain(server.url, fx.headers, lines)
                    worker_cpu = _total(workers) - workers_before
                    pg_cpu = _total(pg_pids) - pg_before
                    done = max(1, result["requests"])
                    errors = result["status_errors"] + result["socket_errors"]
                    print(
                        f"{w.name:<22} {result['rps']:>7.0f} {worker_cpu / done * 1000:>14.3f} "
                        f"{pg_cpu / done * 1000:>10.3f}"
                        + (f"  ({errors} errors)" if errors else ""),
                        flush=True,
                    )
            if pg is not None and args.statements:
                asyncio.run(_print_statements(pg.url, args.statements))
        finally:
            server.stop()
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
