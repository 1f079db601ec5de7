"""A throwaway PostgreSQL server for the benchmarks: the test suite's (tests/pg.py), but durable
(fsync and synchronous_commit on, as in production), since write throughput is measured."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clawvault.db import migrate
from tests.pg import PostgresServer
from tests.pg import start as start_server


def start(settings: tuple[str, ...] = ()) -> PostgresServer:
    return start_server(durable=True, settings=settings)


@contextmanager
def migrated(db: str, name: str) -> Iterator[str]:
    """The URL of a new database at the latest schema: a PostgreSQL server started for it (and
    stopped after), or a SQLite file in a new temporary folder named after `name`."""
    pg = start() if db == "postgresql" else None
    try:
        if pg is not None:
            url = pg.url
        else:
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'clawvault-{name}-')) / f'{name}.db'}"
        migrate.upgrade(url)
        yield url
    finally:
        if pg is not None:
            pg.stop()
