"""Closed-loop load (maximum throughput) with wrk: every connection sends its next request as soon
as the previous answer arrives."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("requests.lua")
THREADS = 2


def available() -> bool:
    return shutil.which("wrk") is not None


def closed_loop(
    url: str,
    requests_file: Path,
    *,
    duration: float,
    connections: int,
    headers: dict[str, str],
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", str(requests_file), str(THREADS)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "duration_s": seconds,
        "status_errors": raw["status_errors"],
        "socket_errors": errors,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "p999_ms": raw["p999_us"] / 1000,
    }
