"""Helpers of the catalog, pricing and admin tests: an app with an operator token, database
snapshots, and a price feed served on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.db.models import (
    Card,
    CardPrice,
    LedgerEntry,
    Pack,
    PackEvHistory,
    PackTier,
    ScheduledJob,
)
from clawvault.settings import Settings
from tests.factories import FakeClock, run

ADMIN_TOKEN = "operator-secret-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ADMIN_API = "/admin/v1"
API = "/api/v1"


def operator_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"admin_token": ADMIN_TOKEN, **changes})


@contextmanager
def operator_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, randomness=SeededRandomness(5))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every catalog and price row, to prove that an operation changed nothing."""

    async def work(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
        result: dict[str, list[tuple[Any, ...]]] = {}
        async with runtime.db.read() as conn:
            for table in (Pack, PackTier, Card, CardPrice, PackEvHistory, LedgerEntry):
                rows = await conn.execute(select(table.__table__))
                result[table.__tablename__] = sorted(tuple(map(repr, r)) for r in rows.all())
        return result

    return run(settings, work)


def card_row(settings: Settings, card_id: str) -> dict[str, Any]:
    async def work(runtime: Runtime) -> dict[str, Any]:
        async with runtime.db.read() as conn:
            row = (
                (await conn.execute(select(Card.__table__).where(Card.id == card_id)))
                .mappings()
                .one()
            )
            return dict(row)

    return run(settings, work)


def count(settings: Settings, table: str) -> int:
    async def work(runtime: Runtime) -> int:
        async with runtime.db.read() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

    return run(settings, work)


class Feed:
    """A JSON price feed on 127.0.0.1 that counts its requests."""

    def __init__(self) -> None:
        self.payload: Any = []
        self.status = 200
        self.requests = 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests += 1
                body = orjson.dumps(feed.payload)
                self.send_response(feed.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/prices.json"

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def pack_cards(settings: Settings, pack_id: str) -> list[dict[str, Any]]:
    """The pack's cards, cheapest first."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        async with runtime.db.read() as conn:
            query = (
                select(Card.id, Card.fmv_cents, Card.tier_id, Card.status, Card.fmv_source)
                .where(Card.pack_id == pack_id)
                .order_by(Card.fmv_cents, Card.id)
            )
            return [dict(r) for r in (await conn.execute(query)).mappings().all()]

    return run(settings, work)


def job_error(settings: Settings, name: str) -> str | None:
    async def work(runtime: Runtime) -> str | None:
        async with runtime.db.read() as conn:
            query = select(ScheduledJob.last_error).where(ScheduledJob.name == name)
            return (await conn.execute(query)).scalar_one()

    return run(settings, work)
