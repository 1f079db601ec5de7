"""Starting and stopping the servers under test, and reading their workers' memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _status_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        pids = []
        for child in _children(self.process.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"resource_tracker" not in cmdline:
                pids.append(child)
        return sorted(pids)

    def memory(self) -> dict[str, list[float]]:
        """Per worker: resident now and peak resident (VmHWM), in MiB."""
        pids = self.workers()
        return {
            "rss_mib": [_status_kib(p, "VmRSS") / 1024 for p in pids],
            "peak_rss_mib": [_status_kib(p, "VmHWM") / 1024 for p in pids],
        }

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}:\n{self.log.read_text()}")
            try:
                httpx.get(self.url + "/", timeout=1)
                if len(self.workers()) >= 1:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(name: str, command: list[str], env: dict[str, str], workdir: Path) -> Server:
    port = int(command[command.index("--port") + 1])
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(name, port, process, log, env)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


def start_clawvault(database_url: str, workers: int, workdir: Path) -> Server:
    env = {"CLAWVAULT_DATABASE_URL": database_url}
    command = [str(BIN / "clawvault"), "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    command += ["--workers", str(workers), "--no-seed"]
    return _start("clawvault", command, env, workdir)


def start_baseline(workers: int, workdir: Path) -> Server:
    # The same uvicorn settings `clawvault serve` passes (cli.py): factory, workers, no access
    # log, the worker health-check timeout.
    command = [str(BIN / "python"), "-m", "uvicorn", "bench.baseline:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(free_port()), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log", "--timeout-worker-healthcheck", "30"]
    return _start("baseline", command, {}, workdir)


def clawvault_cli(database_url: str, *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "clawvault"), *args],
        cwd=ROOT,
        env={**os.environ, "CLAWVAULT_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()
