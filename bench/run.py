"""The benchmark: clawvault (`clawvault serve --workers 2`) on SQLite and PostgreSQL against a bare
FastAPI baseline under the same server, in one run. `python -m bench.run --help`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import fixtures, growth, report, servers, wrk
from bench.fixtures import Fixture

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str  # "read" or "write": which latency target applies
    make: Callable[[Fixture, int], list[str]]
    cards: int = 0  # cards moved per request (pulls)
    unique: bool = False  # every request consumes fixture data (sellbacks)


WORKLOADS = [
    Workload("vm/available", "read", fixtures.vm_available),
    Workload("inventory (50 items)", "read", fixtures.inventory),
    Workload("ship/quote", "write", fixtures.ship_quote),
    Workload("buy/init amount 1", "write", fixtures.buy(1), cards=1),
    Workload("buy/init amount 10", "write", fixtures.buy(10), cards=10),
    Workload("vm/buyback", "write", fixtures.buyback, unique=True),
]
MIXED = Workload("mixed", "mixed", fixtures.mixed, unique=True)


@dataclass
class Settings:
    duration: float
    warmup: float
    connections: int
    workers: int
    cards: int
    workdir: Path
    big_pool: int = 1_000_000
    drain_pool: int = 100_000
    big_inventory: int = 100_000
    growth_pulls: int = 300
    memory_requests: int = 1_000_000
    memory_max_seconds: float = 900.0


def closed(
    server_url: str,
    fx_headers: dict[str, str],
    lines: list[str],
    s: Settings,
    duration: float,
    name: str,
) -> dict[str, Any]:
    path = fixtures.write_lines(s.workdir / f"{name}.txt", lines)
    return wrk.closed_loop(
        server_url, path, duration=duration, connections=s.connections, headers=fx_headers
    )


def open_loop(
    server_url: str, headers: dict[str, str], lines: list[str], rate: float, s: Settings, name: str
) -> dict[str, Any]:
    path = fixtures.write_lines(s.workdir / f"{name}.txt", lines)
    port = server_url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "bench.loadgen", "--port", port, "--requests", str(path)]
    command += ["--rate", f"{rate:.1f}", "--duration", str(s.duration)]
    command += ["--connections", str(s.connections)]
    for k, v in headers.items():
        command += ["--header", f"{k}: {v}"]
    out = subprocess.run(command, capture_output=True, text=True, cwd=servers.ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr}")
    return dict(json.loads(out.stdout))


def drain(server_url: str, headers: dict[str, str], lines: list[str]) -> None:
    """Waits until the requests a closed-loop run left in flight are answered: wrk stops
    reading at its deadline, but the server still works through them (slow writes queued
    behind the write lock took seconds), and the next run would measure that backlog. A few
    requests of the same kind, each on a new connection, queue behind it."""
    import concurrent.futures

    import httpx

    def send(raw: str) -> None:
        method, path, body = [*raw.split("\t"), "", ""][:3]
        with contextlib.suppress(httpx.HTTPError):
            httpx.request(
                method,
                server_url + path,
                content=body.encode() or None,
                headers={**headers, "Content-Type": "application/json", "Connection": "close"},
                timeout=120,
            )

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(send, lines[:4]))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_workload(
    server: servers.Server, fx: Fixture, w: Workload, s: Settings
) -> dict[str, Any]:
    safe = w.name.replace("/", "_").replace(" ", "_")
    # Warm-up run (discarded); it also tells how much unique data the measured run will need.
    warm_n = int(1500 * s.warmup) + 500 if w.unique else 0
    warm_lines = w.make(fx, warm_n)
    warm = closed(server.url, fx.headers, warm_lines, s, s.warmup, f"{safe}_warm")
    drain(server.url, fx.headers, warm_lines)
    need = int(max(warm["rps"], 100) * s.duration * 1.5) + 500 if w.unique else 0
    result = closed(server.url, fx.headers, w.make(fx, need), s, s.duration, safe)
    for _again in range(2):
        # wrk cycles through the lines: a run faster than the warm-up foretold comes back to
        # items it has sold already, and their 404s would count as fast answers.
        if not w.unique or result["status_errors"] == 0:
            break
        log(f"  {w.name}: {result['status_errors']} errors with {need} lines; again with more")
        drain(server.url, fx.headers, warm_lines)
        need = max(need * 2, int(result["rps"] * s.duration * 1.5) + 500)
        result = closed(server.url, fx.headers, w.make(fx, need), s, s.duration, safe)
    drain(server.url, fx.headers, warm_lines)  # before the open-loop runs
    result["cards_per_s"] = result["rps"] * w.cards if w.cards else None
    entry: dict[str, Any] = {"kind": w.kind, "closed": result}
    fractions = (0.5,) if w.kind == "mixed" else (0.5, 0.8)
    for fraction in fractions:
        rate = max(1.0, result["rps"] * fraction)
        need = int(rate * s.duration) + 100 if w.unique else 0
        entry[f"open_{int(fraction * 100)}"] = open_loop(
            server.url, fx.headers, w.make(fx, need), rate, s, f"{safe}_open{fraction}"
        )
    log(
        f"  {w.name}: {result['rps']:.0f} req/s closed "
        f"({result['status_errors'] + result['socket_errors']} errors); "
        + ", ".join(
            f"p99 {entry[k]['p99_ms']:.1f} ms at {entry[k]['target_rate']:.0f}/s"
            for k in entry
            if k.startswith("open_")
        )
    )
    return entry


def memory_run(server: servers.Server, fx: Fixture, s: Settings) -> dict[str, Any]:
    """The memory-growth check: `memory_requests` requests of the read mix (two inventory pages
    to one pack listing, the partner's most frequent calls), closed-loop in 10-second runs, after
    every other workload. Resident memory per worker after the first tenth and at the end."""
    listing = fixtures.vm_available(fx, 0)[0]
    lines: list[str] = []
    for i, page in enumerate(fixtures.inventory(fx, 0)):
        lines += [page, listing] if i % 2 else [page]
    done = errors = 0
    after_tenth = None
    started = time.monotonic()
    while done < s.memory_requests and time.monotonic() - started < s.memory_max_seconds:
        run = closed(server.url, fx.headers, lines, s, 10.0, "memory_run")
        done += run["requests"]
        errors += run["status_errors"] + run["socket_errors"]
        if after_tenth is None and done >= s.memory_requests / 10:
            after_tenth = server.memory()
    seconds = time.monotonic() - started
    log(f"  memory run: {done} requests in {seconds:.0f} s ({errors} errors)")
    return {
        "requests": done,
        "seconds": seconds,
        "errors": errors,
        "after_tenth": after_tenth,
        "end": server.memory(),
    }


def baseline_rps(baseline: servers.Server, s: Settings, tag: str) -> dict[str, Any]:
    lines = [fixtures.line("GET", "/baseline")]
    closed(baseline.url, {}, lines, s, s.warmup, f"baseline_warm_{tag}")
    return closed(baseline.url, {}, lines, s, s.duration, f"baseline_{tag}")


def serve_seeded(url: str, s: Settings) -> tuple[servers.Server, Fixture]:
    """`clawvault serve` on `url`, seeded with `s.cards` demo cards, with a partner's key and the
    fixtures every workload starts from (its packs, 64 users holding 50 items each)."""
    servers.clawvault_cli(url, "demo", "seed", "--cards", str(s.cards))
    servers.clawvault_cli(url, "partners", "create", "bench")
    key = servers.clawvault_cli(url, "keys", "create", "--partner", "bench")
    server = servers.start_clawvault(url, s.workers, s.workdir)
    try:
        fx = Fixture(server.url, key)
        fx.load_packs()
        fx.make_users(64, 50, "inv50_")
    except BaseException:
        server.stop()
        raise
    return server, fx


def run_database(
    db: str, baseline: servers.Server, s: Settings, only: set[str] | None, do_growth: bool
) -> dict[str, Any]:
    from bench import pgserver

    pg = None
    if db == "sqlite":
        url = f"sqlite:///{s.workdir / 'bench.db'}"
    else:
        pg = pgserver.start()
        url = pg.url
    try:
        log(f"{db}: seeding {s.cards} cards")
        server, fx = serve_seeded(url, s)
        try:
            log(f"{db}: fixtures ready; baseline")
            out: dict[str, Any] = {"baseline_before": baseline_rps(baseline, s, f"{db}_1")}
            memory_start = server.memory()
            workers_start = server.workers()
            out["workloads"] = {}
            for w in [*WORKLOADS, MIXED]:
                if only and w.name not in only:
                    continue
                out["workloads"][w.name] = measure_workload(server, fx, w, s)
            out["baseline_after"] = baseline_rps(baseline, s, f"{db}_2")
            out["baseline_rps"] = (out["baseline_before"]["rps"] + out["baseline_after"]["rps"]) / 2
            out["memory"] = {"after_warmup": memory_start, "end": server.memory()}
            if s.memory_requests > 0 and not only:
                out["memory_run"] = memory_run(server, fx, s)
            # uvicorn kills a worker that misses its health check (30 s here) and starts another.
            out["workers"] = {"start": workers_start, "end": server.workers()}
            if do_growth:
                out["growth"] = growth.run(db, url, server, fx, s, log)
                out["memory"]["after_growth"] = server.memory()
            return out
        finally:
            server.stop()
    finally:
        if pg is not None:
            pg.stop()


def machine() -> dict[str, Any]:
    cpu = ""
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            cpu = row.split(":", 1)[1].strip()
            break
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    return {"nproc": os.cpu_count(), "cpu": cpu, "free_h": mem, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (about 4 minutes)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--duration", type=float, help="seconds per measured run")
    parser.add_argument("--cards", type=int, help="demo catalog size")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--no-growth", action="store_true", help="skip the growth checks")
    parser.add_argument("--big-pool", type=int, help="cards of the big pool (growth)")
    parser.add_argument("--big-inventory", type=int, help="items of the big inventory (growth)")
    parser.add_argument(
        "--memory-requests",
        type=int,
        help="requests of the memory-growth run (0 skips it; default 1,000,000, quick 200,000)",
    )
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # so servers are stopped
    if not wrk.available():
        sys.exit("wrk is required: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="clawvault-bench-"))
    s = Settings(
        duration=args.duration or (4.0 if args.quick else 10.0),
        warmup=1.0 if args.quick else 2.0,
        connections=args.connections,
        workers=args.workers,
        # Enough stock that the pull workloads cannot empty a tier before the sellback workload
        # buys its items (20,000 ran out on a quiet machine).
        cards=args.cards or (60_000 if args.quick else 150_000),
        workdir=workdir,
        big_pool=args.big_pool or (100_000 if args.quick else 1_000_000),
        big_inventory=args.big_inventory or (10_000 if args.quick else 100_000),
        drain_pool=60_000 if args.quick else 100_000,
        growth_pulls=150 if args.quick else 300,
        memory_requests=(
            args.memory_requests
            if args.memory_requests is not None
            else (200_000 if args.quick else 1_000_000)
        ),
        memory_max_seconds=240.0 if args.quick else 900.0,
    )
    only = set(args.only.split(",")) if args.only else None
    started = time.time()
    result: dict[str, Any] = {
        "command": " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine(),
        "settings": {k: str(v) for k, v in vars(s).items()},
        "databases": {},
    }
    baseline = servers.start_baseline(s.workers, workdir)
    try:
        for db in args.db.split(","):
            result["databases"][db] = run_database(db, baseline, s, only, not args.no_growth)
            partial = Path(args.out).with_suffix(".partial.json")
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(result, indent=2) + "\n")  # kept if a later one fails
    finally:
        baseline.stop()
    result["elapsed_s"] = time.time() - started
    result["targets"] = report.check(result)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(report.table(result))
    log(f"wrote {args.out} in {result['elapsed_s']:.0f} s")


if __name__ == "__main__":
    main()
