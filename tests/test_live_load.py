"""Real `clawvault serve` processes on one database, 64 concurrent HTTP clients: pulls, sellbacks
and shipments race; afterwards every 2xx is in the database and invariants 1-5 hold by SQL.
(The heavy version, tens of thousands of operations: `python -m bench.race_load`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner
from tests.invariants import violations
from tests.live import LiveServer, errors_logged, launch, stop_all
from tests.load import LoadPlan, exact_totals, run_load, unacknowledged

pytestmark = pytest.mark.timeout(300)


def load_plan(settings: Settings, servers: list[LiveServer], **overrides: int) -> LoadPlan:
    partners = [make_partner(settings) for _ in range(2)]
    tiers = ((100, 500, 70.0), (500, 2_000, 25.0), (2_000, 10_000, 5.0))
    shared = [
        make_pack(settings, tiers=tiers, cards_per_tier=(60, 25, 8), seed=s, clock=utcnow)
        for s in (1, 2)
    ]
    private = make_pack(settings, tiers=tiers, cards_per_tier=(30, 12, 4), seed=3, clock=utcnow)
    return LoadPlan(
        server_urls=[s.url for s in servers],
        keys=[p.key for p in partners],
        partner_names=[p.name for p in partners],
        shared_packs=shared,
        private_pack=private,
        **overrides,
    )


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[list[LiveServer]]:
    """Two `clawvault serve` on one database, the second with --workers 2: three processes,
    each running the background EV refresher too."""
    servers = launch(
        [
            LiveServer(database_url, log_path=tmp_path / "server-0.log"),
            LiveServer(database_url, workers=2, log_path=tmp_path / "server-1.log"),
        ]
    )
    yield servers
    stop_all(servers)


def test_races_over_several_processes_keep_every_invariant(
    settings: Settings, two_servers: list[LiveServer]
) -> None:
    plan = load_plan(settings, two_servers, clients=64, operations_per_client=8)
    report = asyncio.run(run_load(plan))

    assert report.unexpected == [], report.unexpected[:10]
    assert report.transport_errors == 0
    assert report.ok("pull") > 0 and report.ok("sellback") > 0 and report.ok("ship") > 0
    assert violations(settings) == {}
    assert unacknowledged(settings, report) == []
    assert exact_totals(settings, plan, report) == []
    assert errors_logged(two_servers) == []
