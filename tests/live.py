"""Real servers for races over real HTTP: `serving(app)` runs uvicorn inside the test's event
loop; `LiveServer` runs real `clawvault serve` processes on free loopback ports (several on one
database, or --workers N), for race and crash tests and the heavy scripts under bench/: start,
wait until they answer HTTP, kill -9, restart, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

CLAWVAULT = str(Path(sys.executable).parent / "clawvault")
READY_TIMEOUT_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """One `clawvault serve` (with --workers N: one uvicorn parent and N worker processes, all
    in one process group so stop/kill reach every one of them)."""

    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 1
    seed: bool = False
    print_demo_keys: bool = False
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="clawvault-serve-", suffix=".log")[1])
    )
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [CLAWVAULT, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        command += [] if self.seed else ["--no-seed"]
        return command + (["--print-demo-keys"] if self.print_demo_keys else [])

    def start(self) -> LiveServer:
        environment = {
            **os.environ,
            "CLAWVAULT_DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: workers die with it
            )
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> LiveServer:
        """Until the app answers (a request without a key gets its 401)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                answer = httpx.get(f"{self.url}/api/v1/vm/available", timeout=5)
                if answer.status_code == 401:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """kill -9 of the server process (and, with workers, of its whole process group)."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self._signal_group(signal.SIGKILL)  # reap orphaned workers, if any
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()
        self._signal_group(signal.SIGKILL)

    def restart(self) -> LiveServer:
        """A new process on the same port, after a crash or a stop."""
        self.stop()
        return self.start().wait_ready()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def start_servers(
    database_url: str,
    count: int,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> list[LiveServer]:
    """`count` server processes on one database, started together, each ready to serve."""
    servers = [LiveServer(database_url, workers=workers, env=env or {}) for _ in range(count)]
    if log_dir is not None:
        for number, server in enumerate(servers):
            server.log_path.unlink(missing_ok=True)
            server.log_path = log_dir / f"server-{number}.log"
    return launch(servers)


def launch(servers: list[LiveServer]) -> list[LiveServer]:
    """Starts them all at once, then waits until each serves (or stops them all)."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def errors_logged(servers: list[LiveServer]) -> list[str]:
    """Tracebacks and lock errors the servers wrote (background work included)."""
    found = []
    for server in servers:
        text = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        found += [line for line in text.splitlines() if "Traceback" in line or "locked" in line]
    return found


def stop_all(servers: list[LiveServer]) -> None:
    for server in servers:
        server.stop()


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def post_at_once(
    app: FastAPI, path: str, headers: dict[str, str], bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    """Every body POSTed to `path` at the same time, over real HTTP, to one server of `app`;
    the answers in the bodies' order."""

    async def race() -> list[httpx.Response]:
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            return await asyncio.gather(*(http.post(path, headers=headers, json=b) for b in bodies))

    return asyncio.run(race())
