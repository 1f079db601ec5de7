"""core.fastpath answers POST ship/quote exactly as its FastAPI route does. A quote is a write, so
the two servers run on twin databases (the second a copy of the first taken before either
answers), and the ids a write makes (uuids, public ids, tx hashes, quote ids: `secrets` and
`uuid` in core.ids and sandbox.domain) are drawn from one seeded source, reset before each
server's run. Draws come from the seeded randomness and times from the fake clock, so the two
servers owe each request the very same bytes and nothing is normalised. The pulls and sellbacks
sent beside the quotes go through their routes on both servers: the check that nothing else
differs between them."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core import ids as core_ids
from clawvault.core.randomness import SeededRandomness
from clawvault.sandbox import domain as sandbox_domain
from clawvault.settings import Settings
from tests.conftest import _pg_admin as pg_admin
from tests.core.test_fastpath import API, OFF, SANDBOX_API, TRACED, Answer, answer
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner, post_scope
from tests.live import serving

BIG_BODY_LIMIT = 4096


class SeededIds:
    """`secrets` and `uuid` for core.ids and sandbox.domain."""

    def __init__(self) -> None:
        self.random = random.Random(0)

    def reset(self) -> None:
        self.random.seed(1)  # not the draws that made the test's data

    def token_bytes(self, size: int) -> bytes:
        return self.random.randbytes(size)

    def choice(self, options: str) -> str:
        return self.random.choice(options)

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.random.randbytes(16), version=4)


@pytest.fixture
def seeded_ids(monkeypatch: pytest.MonkeyPatch) -> SeededIds:
    ids = SeededIds()
    monkeypatch.setattr(core_ids, "secrets", ids)
    monkeypatch.setattr(core_ids, "uuid", ids)
    monkeypatch.setattr(sandbox_domain, "secrets", ids)
    return ids


@contextmanager
def twin_database(url: str, tmp_path: Path) -> Iterator[str]:
    """A copy of the database at `url` as it is now (nothing may be connected to it)."""
    if url.startswith("sqlite:///"):
        path = tmp_path / "twin.db"
        shutil.copy(url.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    base, name = url.rsplit("/", 1)
    twin = f"{name}_twin"
    admin = f"{base}/postgres"
    pg_admin(admin, f'CREATE DATABASE "{twin}" TEMPLATE "{name}"')
    try:
        yield f"{base}/{twin}"
    finally:
        pg_admin(admin, f'DROP DATABASE IF EXISTS "{twin}" WITH (FORCE)')


def both_on_twins(
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    ids: SeededIds,
    requests: Callable[[httpx.AsyncClient, str], Awaitable[list[httpx.Response]]],
) -> tuple[list[Answer], list[Answer]]:
    """`both`, each server on its own copy of the database as it is now."""

    async def run(app: FastAPI) -> list[Answer]:
        ids.reset()
        async with serving(app) as url, httpx.AsyncClient() as http:
            return [answer(r) for r in await requests(http, url)]

    with twin_database(settings.database_url, tmp_path) as twin_url:
        fast = create_app(settings, clock=clock, randomness=SeededRandomness(1))
        plain_settings = settings.model_copy(update={"database_url": twin_url, **OFF})
        plain = create_app(plain_settings, clock=clock, randomness=SeededRandomness(1))
        return asyncio.run(run(fast)), asyncio.run(run(plain))


Sent = tuple[str, str, dict[str, str], bytes | list[bytes]]


async def send_all(http: httpx.AsyncClient, url: str, sent: list[Sent]) -> list[httpx.Response]:
    """Each request with its own request id; a list of bytes goes as a chunked body."""
    out = []
    for method, path, headers, body in sent:
        traced = {**headers, **TRACED, "X-Request-Id": f"trace-{len(out)}"}
        content: bytes | AsyncIterator[bytes] = body if isinstance(body, bytes) else chunks(body)
        out.append(await http.request(method, url + path, headers=traced, content=content))
    return out


async def chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def js(value: Any) -> bytes:
    return json.dumps(value).encode()


@dataclass
class Holdings:
    key: dict[str, str]
    sandbox_key: dict[str, str]
    other_key: dict[str, str]
    pack_id: str
    disabled_pack_id: str
    alice: list[str]  # held
    bob: list[str]  # held
    sold: str  # sold back
    others: str  # another partner's user's


@pytest.fixture
def holdings(settings: Settings, clock: FakeClock) -> Holdings:
    partner, other = make_partner(settings), make_partner(settings)
    pack_id = make_pack(settings, clock=clock, cards_per_tier=30)
    disabled_pack_id = make_pack(settings, clock=clock, enable=False)
    key, other_key = {"X-API-Key": partner.key}, {"X-API-Key": other.key}

    with TestClient(create_app(settings, clock=clock)) as client:

        def pull(headers: dict[str, str], user_id: str, amount: int) -> list[str]:
            body = {"id": pack_id, "amount": amount, "user_id": user_id}
            bought = client.post(f"{API}/vm/buy/init", headers=headers, json=body)
            assert bought.status_code == 200, bought.text
            return [nft["id"] for nft in bought.json()["nfts"]]

        alice, bob, others = pull(key, "alice", 4), pull(key, "bob", 1), pull(other_key, "cy", 1)
        sold = client.post(f"{API}/vm/buyback", headers=key, json={"item_id": alice[-1]})
        assert sold.status_code == 200, sold.text
    return Holdings(
        key,
        {"X-API-Key": partner.sandbox_key},
        other_key,
        pack_id,
        disabled_pack_id,
        alice[:-1],
        bob,
        alice[-1],
        others[0],
    )


def write_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": BIG_BODY_LIMIT})


def test_ship_quote_answers_match(
    settings: Settings, clock: FakeClock, tmp_path: Path, seeded_ids: SeededIds, holdings: Holdings
) -> None:
    h = holdings
    key, sandbox_key = h.key, h.sandbox_key
    path, sandbox_path = f"{API}/ship/quote", f"{SANDBOX_API}/ship/quote"

    def quote(item_ids: Any, destination: Any = ADDRESS) -> bytes:
        return js({"item_ids": item_ids, "destination": destination})

    fixable = {**ADDRESS, "state": "ca ", "postal_code": "94105-1234", "country": "usa"}

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        body = {"id": h.pack_id, "amount": 2, "user_id": "sam"}  # the sandbox's catalog is ours
        pulled = await http.post(f"{url}{SANDBOX_API}/vm/buy/init", headers=sandbox_key, json=body)
        assert pulled.status_code == 200, pulled.text
        sandbox_items = [nft["id"] for nft in pulled.json()["nfts"]]
        sent: list[Sent] = [
            ("POST", path, key, quote(h.alice)),
            (
                "POST",
                path,
                key,
                quote(
                    h.alice[:1],
                    {**ADDRESS, "country": "CA", "state": "ON", "postal_code": "M5V 2T6"},
                ),
            ),
            ("POST", path, key, [quote(h.bob)[:10], quote(h.bob)[10:]]),
            ("POST", path, key, quote(h.alice + h.bob)),
            ("POST", path, key, quote([h.sold])),
            ("POST", path, key, quote([h.others])),
            ("POST", path, key, quote(["nope"])),
            ("POST", path, key, quote([])),
            ("POST", path, key, quote("abc")),
            ("POST", path, key, js({"destination": ADDRESS})),
            ("POST", path, key, quote(h.alice, {**ADDRESS, "city": ""})),
            ("POST", path, key, quote(h.alice, fixable)),
            ("POST", path, key, quote(h.alice, None)),
            ("POST", path, key, quote(h.alice, "1 Market St")),
            ("POST", path, key, quote(h.alice, {**ADDRESS, "country": "ZZ"})),
            ("POST", path, key, quote(h.alice, {**ADDRESS, "country": "KP", "state": ""})),
            ("POST", path, key, b""),
            ("POST", path, key, b"{nope"),
            ("POST", path, key, b"[]"),
            ("POST", path, {}, quote(h.alice)),
            ("POST", path, h.other_key, quote(h.alice)),
            ("POST", path, sandbox_key, quote(h.alice)),
            ("POST", sandbox_path, sandbox_key, quote(sandbox_items)),
            ("POST", sandbox_path, sandbox_key, quote(["nope"])),
            ("POST", sandbox_path, sandbox_key, quote(sandbox_items, {**ADDRESS, "city": ""})),
            ("POST", sandbox_path, sandbox_key, js({})),
            ("POST", sandbox_path, key, quote(sandbox_items)),
            ("POST", f"{path}/", key, quote(h.alice)),
            ("DELETE", path, key, b""),
        ]
        return await send_all(http, url, sent)

    fast, plain = both_on_twins(write_settings(settings), clock, tmp_path, seeded_ids, requests)
    statuses = [a[0] for a in fast]
    assert statuses[:3] == [200] * 3
    assert statuses[19:22] == [401, 400, 401]
    assert statuses[22:] == [200, 400, 400, 400, 401, 307, 405]
    assert 422 in statuses[14:16]
    assert fast == plain


def test_idempotency_and_body_limit_apply_alike(
    settings: Settings, clock: FakeClock, tmp_path: Path, seeded_ids: SeededIds, holdings: Holdings
) -> None:
    h = holdings
    key = h.key
    pull_path, sell_path, quote_path = (
        f"{API}/vm/buy/init",
        f"{API}/vm/buyback",
        f"{API}/ship/quote",
    )
    pull = js({"id": h.pack_id, "amount": 1, "user_id": "dan"})
    sell = js({"item_id": h.alice[0]})
    quote = js({"item_ids": h.alice[1:], "destination": ADDRESS})

    def padded(body: bytes, size: int) -> bytes:
        """`body` (an object) with a "pad" member making it `size` bytes."""
        return body[:-1] + b', "pad": "' + b"x" * (size - len(body) - 11) + b'"}'

    at_limit = padded(pull, BIG_BODY_LIMIT)
    over = padded(pull, BIG_BODY_LIMIT + 1)
    assert len(at_limit) == BIG_BODY_LIMIT and len(over) == BIG_BODY_LIMIT + 1

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        def once(name: str) -> dict[str, str]:
            return {**key, "Idempotency-Key": name}

        sent: list[Sent] = [
            ("POST", pull_path, once("pull-1"), pull),
            ("POST", pull_path, once("pull-1"), pull),
            (
                "POST",
                pull_path,
                once("pull-1"),
                js({"id": h.pack_id, "amount": 2, "user_id": "dan"}),
            ),
            ("POST", pull_path, once("pull-2"), b"{nope"),
            ("POST", pull_path, once("pull-2"), b"{nope"),
            ("POST", pull_path, {"Idempotency-Key": "pull-3"}, pull),
            ("POST", pull_path, once("\x7f"), pull),
            ("POST", sell_path, once("sell-1"), sell),
            ("POST", sell_path, once("sell-1"), sell),
            ("POST", sell_path, once("sell-2"), sell),
            ("POST", quote_path, once("quote-1"), quote),
            ("POST", quote_path, once("quote-1"), quote),
            ("POST", pull_path, key, at_limit),
            ("POST", pull_path, key, [at_limit[:100], at_limit[100:]]),
        ]
        for path in (pull_path, sell_path, quote_path):
            sent += [
                ("POST", path, key, over),
                ("POST", path, key, [over[:100], over[100:]]),
                ("POST", path, {}, over),
                ("POST", path, once("over"), over),
                ("POST", path, once("over-chunked"), [over[:100], over[100:]]),
            ]
        return await send_all(http, url, sent)

    fast, plain = both_on_twins(write_settings(settings), clock, tmp_path, seeded_ids, requests)
    statuses = [a[0] for a in fast]
    assert statuses[:14] == [200, 200, 409, 400, 400, 401, 400, 200, 200, 400, 200, 200, 200, 200]
    assert ("idempotent-replayed", "true") in fast[1][1] and fast[1][2] == fast[0][2]
    assert ("idempotent-replayed", "true") in fast[11][1]
    for first, over_limit in ((14, fast[14:19]), (19, fast[19:24]), (24, fast[24:29])):
        # Announced or chunked, the API's error shape with the request's id.
        for number, (status, headers, body) in enumerate(over_limit, start=first):
            assert (status, body) == (413, b'{"error":"Content Too Large"}')
            assert ("x-request-id", f"trace-{number}") in headers
    assert fast == plain


async def call_asgi(
    app: FastAPI, path: str, headers: dict[str, str], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One POST handed to the app as a server would hand it, `messages` as what it receives."""
    scope = post_scope(path, headers)
    incoming = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming, {"type": "http.disconnect"})

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def test_bodies_in_pieces_and_clients_leaving_alike(
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    seeded_ids: SeededIds,
    holdings: Holdings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = holdings
    pull = js({"id": h.pack_id, "amount": 2, "user_id": "dan"})
    sell = js({"item_id": h.alice[0]})
    quote = js({"item_ids": h.alice[1:], "destination": ADDRESS})

    def pieces(body: bytes, size: int = 7) -> list[dict[str, Any]]:
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        return [
            {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
            for n, part in enumerate(parts)
        ]

    cut_short = [{"type": "http.request", "body": pull[:9], "more_body": True}]
    gone = [{"type": "http.disconnect"}]
    empty_pieces = [
        {"type": "http.request", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
    ]
    calls = [
        (f"{API}/vm/buy/init", pieces(pull)),
        (f"{API}/vm/buyback", pieces(sell)),
        (f"{API}/ship/quote", pieces(quote, 50)),
        (f"{API}/vm/buy/init", empty_pieces),
        (f"{SANDBOX_API}/vm/buy/init", pieces(pull)),
        (f"{API}/vm/buy/init", cut_short),
        (f"{API}/vm/buyback", cut_short),
        (f"{API}/ship/quote", gone),
    ]

    async def run(app: FastAPI) -> list[list[dict[str, Any]]]:
        seeded_ids.reset()
        async with serving(app):
            out = []
            for number, (path, messages) in enumerate(calls):
                key = h.sandbox_key if path.startswith(SANDBOX_API) else h.key
                headers = {**key, "X-Request-Id": f"trace-{number}"}
                out.append(await call_asgi(app, path, headers, messages))
            return out

    with twin_database(settings.database_url, tmp_path) as twin_url:
        fast = create_app(settings, clock=clock, randomness=SeededRandomness(1))
        plain_settings = settings.model_copy(update={"database_url": twin_url, **OFF})
        plain = create_app(plain_settings, clock=clock, randomness=SeededRandomness(1))
        with caplog.at_level(logging.INFO, logger="clawvault"):
            fast_sent = asyncio.run(run(fast))
            fast_logged = [r.getMessage() for r in caplog.records]
            caplog.clear()
            plain_sent = asyncio.run(run(plain))
            plain_logged = [r.getMessage() for r in caplog.records]
    statuses = [next(m["status"] for m in sent if "status" in m) for sent in fast_sent]
    assert statuses == [200, 200, 200, 400, 200, 400, 400, 400]
    incomplete = b'{"error":"Request body incomplete"}'
    assert [sent[-1]["body"] for sent in fast_sent[5:]] == [incomplete] * 3
    assert fast_sent == plain_sent
    gone_logged = "client disconnected before the request body was complete"
    assert fast_logged.count(gone_logged) == 3
    assert fast_logged == plain_logged
