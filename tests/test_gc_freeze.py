"""A served worker leaves the objects of its start (modules, tables, routes) out of the cyclic
garbage collector, whose full passes over them stopped the worker ~100 ms every few seconds
under load; an app built in someone else's process (tests, embedding) leaves the collector as
it is. Each app runs in a fresh interpreter, as a worker does."""

from __future__ import annotations

import subprocess
import sys

from clawvault.settings import Settings

PROGRAM = """
import gc, sys
from fastapi.testclient import TestClient
from clawvault import app
with TestClient(app.create_served_app() if sys.argv[1] == "served" else app.create_app()):
    print(gc.get_freeze_count())
"""


def _frozen_objects(settings: Settings, kind: str) -> int:
    env = {"CLAWVAULT_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, kind],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return int(out.stdout.split()[-1])


def test_only_a_served_worker_freezes_its_start(settings: Settings) -> None:
    assert _frozen_objects(settings, "app") == 0
    assert _frozen_objects(settings, "served") > 50_000  # the worker's start, in objects
