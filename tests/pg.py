"""A throwaway PostgreSQL server for the test suite (and `python -m tests.pg` by hand)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    base: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [
                *_run_as(),
                _binary("pg_ctl"),
                "-D",
                str(self.base / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.base, ignore_errors=True)


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"{name} not found: install PostgreSQL 15 server binaries")
    return candidates[-1]


def _run_as() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres system user."""
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(durable: bool = False, settings: tuple[str, ...] = ()) -> PostgresServer:
    """durable: fsync and synchronous commits on, as in production (the benchmark); the test
    suite runs without them. settings: more server settings, `name=value` each."""
    base = Path(tempfile.mkdtemp(prefix="clawvault-pg-"))
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        _run_as()
        shutil.chown(base, "postgres")
    data = base / "data"
    subprocess.run(
        [
            *_run_as(),
            _binary("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            *([] if durable else ["--no-sync"]),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=400 "
        "-c shared_buffers=256MB"
    )
    if settings:
        options += "".join(f" -c {setting}" for setting in settings)
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [
            *_run_as(),
            _binary("pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(base, port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("PostgreSQL did not start")


if __name__ == "__main__":
    srv = start()
    print(srv.url, flush=True)
    print("Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
