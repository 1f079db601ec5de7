"""`clawvault serve --demo` (what `make run` does) prints the console and a token to use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port


def test_make_run_prints_the_console_and_a_working_operator_token(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CLAWVAULT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    env.pop("CLAWVAULT_ADMIN_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "clawvault", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = ""
        deadline = time.monotonic() + 180
        while "operator console" not in line and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line or server.poll() is None, "serve exited"
        assert f"http://127.0.0.1:{port}/console" in line
        token = line.split("operator token:")[1].strip()
        assert token.startswith("demo-operator-")
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/console/signin", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        refused = httpx.post(f"{base}/console/signin", data={"token": "nope"})
        assert refused.status_code == 401
        signed = httpx.post(f"{base}/console/signin", data={"token": token})
        assert signed.status_code == 303 and "clawvault_console" in signed.cookies
        packs = httpx.get(f"{base}/console/packs", cookies=signed.cookies)
        assert packs.status_code == 200 and "Packs" in packs.text
    finally:
        server.terminate()
        server.wait(timeout=20)
