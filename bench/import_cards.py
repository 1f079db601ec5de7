"""How long `clawvault cards import` takes for a large file (the issue's target: 1,000,000
cards in a few minutes), then how long re-importing the same file takes (nothing changes).

    .venv/bin/python -m bench.import_cards                    # 1,000,000 cards, SQLite
    .venv/bin/python -m bench.import_cards --cards 100000 --postgres

It writes a packs file and a cards CSV into a temporary directory, imports the packs, then
times the cards import and its re-import with the real CLI in a subprocess (progress bars on
stderr). --postgres runs against a throwaway PostgreSQL (tests/pg.py: fsync off)."""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PACKS = ("bench-baseball", "bench-hoops", "bench-pokemon", "bench-grails")
TIERS = "Common:#9CA3AF:1:20:80;Rare:#3B82F6:20:100:18;Grail:#F59E0B:100:2000:2"
HEADER = [
    "id",
    "pack_id",
    "name",
    "image",
    "back_image",
    "type",
    "custodian",
    "fmv",
    "fmv_as_of",
    "year",
    "category",
    "player",
    "set",
    "grader",
    "grade",
    "cert_number",
]


def write_files(directory: Path, cards: int) -> tuple[Path, Path]:
    packs = directory / "packs.csv"
    with packs.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["slug", "name", "mint_price", "max_per_mint", "buyback_percent", "tiers", "enable"]
        )
        for slug in PACKS:
            writer.writerow([slug, slug.replace("-", " ").title(), 50, 10, 0.85, TIERS, "true"])
    rng = random.Random(1)
    # priced as of the run (a fixed date would be "in the future" a year back, and stale later)
    as_of = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = directory / "cards.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for serial in range(cards):
            tier = rng.random()
            fmv = rng.uniform(1, 19.99) if tier < 0.8 else rng.uniform(20, 99.99)
            if tier > 0.98:
                fmv = rng.uniform(100, 1999)
            cert = 10_000_000 + serial
            writer.writerow(
                [
                    f"psa-{cert}",
                    PACKS[serial % len(PACKS)],
                    f"2024 Bench Card #{serial} PSA 10",
                    f"https://cdn.example.com/c/{cert}.jpg",
                    "",
                    "alt",
                    "Alt",
                    f"{fmv:.2f}",
                    as_of,
                    "2024",
                    "Pokemon",
                    f"Player {serial % 977}",
                    "Bench Set",
                    "PSA",
                    "PSA 10.0",
                    str(cert),
                ]
            )
    return packs, path


def clawvault(database_url: str, *args: str) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one CLI run. On a shared machine
    the CPU time shows what the import itself costs."""
    env = {**os.environ, "CLAWVAULT_DATABASE_URL": database_url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-c", "from clawvault.cli import main; main()", *args]
    subprocess.run(command, env=env, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory(prefix="clawvault-bench-") as tmp:
        directory = Path(tmp)
        if options.postgres:
            from tests import pg

            server = pg.start()
            database_url = server.url
        else:
            database_url = f"sqlite:///{directory / 'bench.db'}"
        try:
            started = time.perf_counter()
            packs, cards = write_files(directory, options.cards)
            size = cards.stat().st_size / 1e6
            took = time.perf_counter() - started
            print(f"wrote {options.cards:,} cards ({size:.0f} MB) in {took:.1f}s")
            clawvault(database_url, "packs", "import", str(packs))
            wall, cpu = clawvault(database_url, "cards", "import", str(cards))
            rate = options.cards / wall
            print(f"import of {options.cards:,} cards: {wall:.1f}s ({rate:,.0f}/s), CPU {cpu:.1f}s")
            wall, cpu = clawvault(database_url, "cards", "import", str(cards))
            print(f"re-import (nothing changes): {wall:.1f}s, CPU {cpu:.1f}s")
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
