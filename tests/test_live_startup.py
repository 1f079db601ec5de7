"""Several server processes (or --workers) started together on one database: migrations and
the demo seed run once, every process serves, background work is safe when all run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawvault.demo.catalog import count_cards
from clawvault.settings import Settings
from tests.invariants import query
from tests.live import LiveServer, stop_all

pytestmark = pytest.mark.timeout(300)
DEMO_CARDS = 5000  # what `serve` seeds into an empty catalog


def test_processes_started_together_on_an_empty_database_migrate_and_seed_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    servers = [
        LiveServer(
            empty_database_url,
            seed=True,
            print_demo_keys=True,
            log_path=tmp_path / f"server-{n}.log",
        )
        for n in range(3)
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
    finally:
        stop_all(servers)
    settings = Settings(database_url=empty_database_url)
    assert query(settings, "SELECT COUNT(*) FROM cards") == [(count_cards(DEMO_CARDS),)]
    assert query(settings, "SELECT COUNT(*) FROM alembic_version") == [(1,)]
    assert query(settings, "SELECT name FROM partners") == [("demo",)]
    keys = query(settings, "SELECT COUNT(*) FROM api_keys")
    assert keys == [(2 * len(servers),)]  # each process printed its own pair
