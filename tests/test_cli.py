"""The operator's commands, run as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.demo.service import seed_demo
from clawvault.settings import Settings
from tests.factories import ADDRESS, run
from tests.live import free_port

API = "/api/v1"


def clawvault(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLAWVAULT_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "clawvault", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_partner_key_and_order_commands(database_url: str) -> None:
    assert clawvault(database_url, "partners", "create", "acme").returncode == 0
    duplicate = clawvault(database_url, "partners", "create", "acme")
    assert duplicate.returncode != 0 and "already exists" in duplicate.stderr
    key = clawvault(database_url, "keys", "create", "--partner", "acme")
    assert key.returncode == 0 and key.stdout.strip().startswith("cv_live_")
    assert key.stdout.count("\n") == 1  # only the key on stdout
    sandbox = clawvault(database_url, "keys", "create", "--partner", "acme", "--sandbox")
    assert sandbox.stdout.strip().startswith("sandbox-")
    missing = clawvault(database_url, "keys", "create", "--partner", "nobody")
    assert missing.returncode != 0 and "not found" in missing.stderr
    unknown = clawvault(database_url, "orders", "advance", "order_nope", "--to", "shipped")
    assert unknown.returncode != 0 and "Order not found" in unknown.stderr


def test_demo_catalog_is_deterministic_and_stocked(settings: Settings, tmp_path: Path) -> None:
    async def seed_and_read(runtime: Runtime) -> list[tuple[object, ...]]:
        await seed_demo(runtime, Unit(runtime.db), cards=600, seed=5)
        async with runtime.db.read() as conn:
            return list(
                (
                    await conn.execute(
                        text(
                            "SELECT id, pack_id, name, fmv_cents, tier_id, type FROM cards "
                            "ORDER BY id"
                        )
                    )
                ).all()
            )

    first = run(settings, seed_and_read)
    other = Settings(database_url=f"sqlite:///{tmp_path / 'again.db'}", ev_refresh_seconds=0)
    from clawvault.db import migrate

    migrate.upgrade(other.database_url)
    assert run(other, seed_and_read) == first
    packs = {row[1] for row in first}
    assert len(packs) >= 6 and len(first) >= 600
    assert {(row[1], row[4]) for row in first} == {(p, t) for p in packs for t in range(1, 6)}
    assert all(row[4] is not None for row in first)
    assert {row[5] for row in first} >= {"enft", "ebay"}
    assert any(row[0].startswith("v1|") and row[0].endswith("|0") for row in first)


def test_serve_seeds_prints_a_working_key_and_answers(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'served.db'}"
    port = free_port()
    env = {**os.environ, "CLAWVAULT_DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "clawvault", "serve", "--port", str(port), "--print-demo-keys"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(3)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        key = banner[1].split("demo key:")[1].strip()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for _ in range(100):
                try:
                    packs = http.get(f"{API}/vm/available", headers={"X-API-Key": key})
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert packs.status_code == 200 and len(packs.json()) >= 6
            assert all(p["in_stock"] and p["ev"] > 0 for p in packs.json())
            pack = packs.json()[0]
            pulled = http.post(
                f"{API}/vm/buy/init",
                headers={"X-API-Key": key},
                json={"id": pack["id"], "amount": 2, "user_id": "demo-user"},
            )
            assert pulled.status_code == 200 and len(pulled.json()["nfts"]) == 2
            ids = [n["id"] for n in pulled.json()["nfts"]]
            quote = http.post(
                f"{API}/ship/quote",
                headers={"X-API-Key": key},
                json={"item_ids": ids, "destination": ADDRESS},
            )
            assert quote.status_code == 200
            order = http.post(
                f"{API}/ship/request",
                headers={"X-API-Key": key},
                json={"quote_id": quote.json()["quotes"][0]["id"]},
            ).json()
        moved = clawvault(
            database_url, "orders", "advance", order["order_id"], "--to", "label_created"
        )
        assert moved.returncode == 0 and "label_created" in moved.stdout
        back = clawvault(database_url, "orders", "advance", order["order_id"], "--to", "processing")
        assert back.returncode != 0 and "cannot go back" in back.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_db_upgrade_is_idempotent(database_url: str) -> None:
    assert clawvault(database_url, "db", "upgrade").returncode == 0
    assert clawvault(database_url, "db", "upgrade").returncode == 0


def test_serve_passes_the_worker_healthcheck_timeout_to_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under saturation a worker may answer uvicorn's health check late: the operator chooses
    how late before the supervisor kills it (default 30 s, not uvicorn's 5)."""
    import uvicorn
    from click.testing import CliRunner

    from clawvault.cli import main
    from clawvault.settings import get_settings

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("CLAWVAULT_DATABASE_URL", f"sqlite:///{tmp_path / 'hc.db'}")
    serve_sets = ("CLAWVAULT_SANDBOX_DATABASE_URL", "CLAWVAULT_PUBLIC_BASE_URL", "MALLOC_ARENA_MAX")
    for name in serve_sets:
        monkeypatch.setenv(name, "")  # so that monkeypatch puts back what was there
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        default = runner.invoke(main, ["serve", "--no-seed", "--workers", "2"])
        chosen = runner.invoke(
            main, ["serve", "--no-seed", "--workers", "2", "--worker-healthcheck-timeout", "90"]
        )
        refused = runner.invoke(main, ["serve", "--worker-healthcheck-timeout", "0"])
        arenas = os.environ.get("MALLOC_ARENA_MAX")  # what the workers start with
    finally:
        get_settings.cache_clear()
    assert default.exit_code == 0 and chosen.exit_code == 0, (default.output, chosen.output)
    assert [call["timeout_worker_healthcheck"] for call in calls] == [30, 90]
    assert all(call["workers"] == 2 for call in calls)
    assert refused.exit_code != 0 and len(calls) == 2
    assert arenas == "2"
