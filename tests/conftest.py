"""Fixtures: every database test runs on SQLite and on PostgreSQL (a throwaway server that the
suite starts; under CI=true a PostgreSQL test is never skipped)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.db import migrate
from clawvault.settings import Settings
from tests import pg
from tests.factories import FakeClock

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """URL of a migrated template database on a PostgreSQL server."""
    server: pg.PostgresServer | None = None
    url = os.environ.get("CLAWVAULT_TEST_POSTGRES_URL")
    if not url:
        try:
            server = pg.start()
        except Exception as exc:
            if IN_CI:
                pytest.fail(f"CI=true but no PostgreSQL server could be started: {exc}")
            pytest.skip(f"PostgreSQL tests skipped: no server could be started ({exc})")
        url = server.url
    admin = url
    template = f"cv_template_{uuid.uuid4().hex[:8]}"
    _pg_admin(admin, f'CREATE DATABASE "{template}"')
    template_url = _with_database(admin, template)
    migrate.upgrade(template_url)
    yield template_url
    if server is not None:
        server.stop()


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _pg_admin(url: str, *statements: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    template_url: str = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    template_name = template_url.rsplit("/", 1)[1]
    admin = _with_database(template_url, "postgres")
    _pg_admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield _with_database(template_url, name)
    _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the schema (a first start)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    template_url: str = request.getfixturevalue("postgres_template")
    name = f"e_{uuid.uuid4().hex[:12]}"
    admin = _with_database(template_url, "postgres")
    _pg_admin(admin, f'CREATE DATABASE "{name}"')
    yield _with_database(template_url, name)
    _pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str) -> Settings:
    # packs_cache_seconds=0: tests see a price or pack change in vm/available at once
    return Settings(
        database_url=database_url,
        ev_refresh_seconds=0,
        sqlite_synchronous="NORMAL",
        packs_cache_seconds=0,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, randomness=SeededRandomness(20261127))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
