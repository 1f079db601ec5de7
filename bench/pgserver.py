"""A throwaway PostgreSQL server for the benchmark: the test suite's (tests/pg.py), but durable
(fsync and synchronous_commit on, as in production), since write throughput is measured."""

from __future__ import annotations

from tests.pg import PostgresServer
from tests.pg import start as start_server


def start(settings: tuple[str, ...] = ()) -> PostgresServer:
    return start_server(durable=True, settings=settings)
