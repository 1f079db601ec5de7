"""kill -9 of a server process in the middle of a 64-client load, then a restart: every 2xx the
clients received is in the database, nothing half-written is, and invariants 1-5 hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clawvault.settings import Settings
from tests.invariants import violations
from tests.live import start_servers, stop_all
from tests.load import LoadReport, run_load, unacknowledged
from tests.test_live_load import load_plan

pytestmark = pytest.mark.timeout(300)
KILL_AFTER_OPERATIONS = 150


def test_a_killed_server_loses_no_acknowledged_write(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    servers = start_servers(database_url, 2, log_dir=tmp_path)
    victim = servers[0]
    try:
        plan = load_plan(settings, servers, clients=64, operations_per_client=14)
        report = LoadReport()

        async def crash_and_restart() -> None:
            while report.operations < KILL_AFTER_OPERATIONS:  # noqa: ASYNC110 (a counter, polled)
                await asyncio.sleep(0.01)
            await asyncio.to_thread(victim.kill)  # SIGKILL, mid-load
            await asyncio.to_thread(victim.restart)

        async def scenario() -> None:
            await asyncio.gather(run_load(plan, report), crash_and_restart())

        asyncio.run(scenario())
        assert victim.process is not None and victim.process.poll() is None  # serving again
    finally:
        stop_all(servers)

    assert report.transport_errors > 0, "the kill happened after the load"
    assert report.unexpected == [], report.unexpected[:10]
    assert report.ok("pull") > 0 and report.ok("sellback") > 0
    assert unacknowledged(settings, report) == []
    assert violations(settings) == {}
