"""`clawvault serve --workers 2`: one in-memory sandbox shared by the workers, deleted at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from clawvault.sandbox.store import MEMORY_DIR
from tests.live import free_port
from tests.sandbox.helpers import SB

STORE_PARENT = MEMORY_DIR if MEMORY_DIR.is_dir() else Path(os.environ.get("TMPDIR", "/tmp"))


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            pids.extend(process_tree(int(child)))
    return pids


def stores_open_by(pid: int) -> set[Path]:
    """The sandbox store directories the server's processes hold files open in (other suites
    running on this machine have their own; counting every folder would see theirs)."""
    found: set[Path] = set()
    for process in process_tree(pid):
        for fd in Path(f"/proc/{process}/fd").glob("*"):
            try:
                target = Path(os.readlink(fd))
            except OSError:
                continue
            if target.parent.parent == STORE_PARENT and target.parent.name.startswith(
                "clawvault-sandbox-"
            ):
                found.add(target.parent)
    return found


def test_workers_share_one_memory_sandbox_that_is_gone_at_exit(tmp_path: Path) -> None:
    env = {**os.environ, "CLAWVAULT_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    env.pop("CLAWVAULT_SANDBOX_DATABASE_URL", None)
    env.pop("CLAWVAULT_SANDBOX_PERSIST", None)
    seeded = subprocess.run(
        [sys.executable, "-m", "clawvault", "demo", "seed", "--cards", "300"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "clawvault", "serve", "--port", str(port)),
            *("--workers", "2", "--no-seed", "--print-demo-keys"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(3)]
        key = {"X-API-Key": banner[2].split("demo key:")[1].strip()}
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                packs = httpx.get(f"{base}{SB}/vm/available", headers=key, timeout=10)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert packs.status_code == 200
        pulled = httpx.post(
            f"{base}{SB}/vm/buy/init",
            headers=key,
            json={"id": packs.json()[0]["id"], "amount": 2, "user_id": "u"},
            timeout=10,
        )
        assert pulled.status_code == 200, pulled.text
        ids = {n["id"] for n in pulled.json()["nfts"]}
        for _ in range(20):  # new connections: the workers take turns
            seen = httpx.get(
                f"{base}{SB}/inventory/u", headers={**key, "Connection": "close"}, timeout=10
            )
            assert {i["id"] for i in seen.json()["items"]} == ids
        shared = stores_open_by(server.pid)
        assert len(shared) == 1, shared
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not any(store.exists() for store in shared)
