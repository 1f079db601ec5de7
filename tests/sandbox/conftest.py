"""Sandbox fixtures: every sandbox test runs with the sandbox store in its throwaway database
("memory", the default) and in the main database ("persist"), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.settings import Settings
from tests.factories import FakeClock


@pytest.fixture(params=["memory", "persist"])
def sandbox_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox_persist": request.param == "persist"})


@pytest.fixture
def sandbox(sandbox_settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(sandbox_settings, clock=clock, randomness=SeededRandomness(20261127))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
