"""A served worker leaves the objects of its start (modules, tables, routes) out of the cyclic
garbage collector, whose full passes over them stopped the worker ~100 ms every few seconds
under load; an app built in someone else's process (tests, embedding) leaves the collector as
it is."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clawvault import app as app_module
from clawvault.settings import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_only_a_served_worker_freezes_its_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    with TestClient(app_module.create_app(settings)):
        assert gc.get_freeze_count() == 0
    monkeypatch.setattr(app_module, "get_settings", lambda: settings)
    with TestClient(app_module.create_served_app()):
        assert gc.get_freeze_count() > 50_000  # the worker's start, counted in objects
