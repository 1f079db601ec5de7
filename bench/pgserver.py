"""A throwaway PostgreSQL server for the benchmark: the test suite's (tests/pg.py), but durable
(fsync and synchronous_commit on, as in production), since write throughput is measured."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pg import PostgresServer, _binary, _free_port, _run_as


def start() -> PostgresServer:
    base = Path(tempfile.mkdtemp(prefix="clawvault-bench-pg-"))
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
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200 "
        "-c shared_buffers=256MB"
    )
    subprocess.run(
        [
            *_run_as(),
            *(_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log")),
            *("-w", "-t", "60", "start"),
        ],
        check=True,
        capture_output=True,
    )
    time.sleep(0.5)
    return PostgresServer(base, port)
