"""core.fastpath answers vm/available and inventory exactly as their FastAPI routes do: the same
requests, sent to a server with the fast path and to one without, get the same answers
(ship/quote, a write: tests/core/test_fastpath_quote.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app, telemetry_of
from clawvault.core.fastpath import FastPathMiddleware
from clawvault.core.randomness import SeededRandomness
from clawvault.inventory import service as inventory_service
from clawvault.packs import service as packs_service
from clawvault.settings import Settings
from clawvault.shipping import service as shipping_service
from tests.factories import FakeClock, make_pack, make_partner
from tests.live import serving

API = "/api/v1"
SANDBOX_API = "/_/api/v1"

# The same Host for both servers: a redirect's Location carries it.
TRACED = {"Host": "clawvault.test"}

Answer = tuple[int, list[tuple[str, str]], bytes]

OFF = {"fast_gets": False, "fast_posts": False}  # every route back on FastAPI's routing


def answer(response: httpx.Response) -> Answer:
    # Everything the client sees but the clock's Date header.
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content


def both(
    settings: Settings,
    clock: FakeClock,
    requests: Callable[[httpx.AsyncClient, str], Awaitable[list[httpx.Response]]],
) -> tuple[list[Answer], list[Answer]]:
    """The answers of a server with the fast path and of one without, on one database."""

    async def main() -> tuple[list[Answer], list[Answer]]:
        fast = create_app(settings, clock=clock, randomness=SeededRandomness(1))
        plain = create_app(
            settings.model_copy(update=OFF),
            clock=clock,
            randomness=SeededRandomness(1),
        )
        async with serving(fast) as a, serving(plain) as b, httpx.AsyncClient() as http:
            fast_answers = [answer(r) for r in await requests(http, a)]
            plain_answers = [answer(r) for r in await requests(http, b)]
        return fast_answers, plain_answers

    return asyncio.run(main())


def test_the_fast_path_is_installed_and_can_be_turned_off(settings: Settings) -> None:
    def installed(app_settings: Settings) -> bool:
        return any(m.cls is FastPathMiddleware for m in create_app(app_settings).user_middleware)

    assert installed(settings)
    assert installed(settings.model_copy(update={"fast_gets": False}))
    assert installed(settings.model_copy(update={"fast_posts": False}))
    assert not installed(settings.model_copy(update=OFF))


def test_fastapi_telemetry_is_off_unless_asked_for(settings: Settings) -> None:
    # Off, FastAPI does not look for OpenTelemetry providers at each request.
    off = telemetry_of(settings)
    assert off is not None and not any(off[kind] for kind in ("tracing", "metrics", "logs"))
    assert telemetry_of(settings.model_copy(update={"opentelemetry": True})) is None


def test_vm_available_answers_match(settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    make_pack(settings, clock=clock)
    make_pack(settings, clock=clock, enable=False)
    key, sandbox_key = {"X-API-Key": partner.key}, {"X-API-Key": partner.sandbox_key}

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        sent: list[tuple[str, str, dict[str, str]]] = [
            ("GET", f"{API}/vm/available", key),
            ("GET", f"{API}/vm/available?platform=mainnet", key),
            ("GET", f"{API}/vm/available?platform=solana", key),
            ("GET", f"{API}/vm/available?platform=", key),
            ("GET", f"{API}/vm/available?platform=solana&platform=mainnet", key),
            ("GET", f"{API}/vm/available?platform=%6Dainnet&other=1", key),
            ("GET", f"{API}/vm/available", {}),
            ("GET", f"{API}/vm/available", {"X-API-Key": ""}),
            ("GET", f"{API}/vm/available", {"X-API-Key": "cv_live_nope"}),
            ("GET", f"{API}/vm/available", sandbox_key),
            ("GET", f"{SANDBOX_API}/vm/available", sandbox_key),
            ("GET", f"{SANDBOX_API}/vm/available", key),
            ("GET", f"{API}/vm/available/", key),
            ("GET", f"{API}/vm/available%0A", key),
            ("GET", f"{API}//vm/available", key),
            ("GET", f"{API}/vm/availablex", key),
            ("HEAD", f"{API}/vm/available", key),
            ("POST", f"{API}/vm/available", key),
            ("OPTIONS", f"{API}/vm/available", key),
        ]
        out = []
        for method, path, headers in sent:
            traced = {**headers, **TRACED, "X-Request-Id": f"trace-{len(out)}"}
            out.append(await http.request(method, url + path, headers=traced))
        # Without an id of the client's own, a new one each time.
        out.append(await http.get(f"{url}{API}/vm/available", headers={**key, **TRACED}))
        return out

    fast, plain = both(settings, clock, requests)
    assert [a[0] for a in fast][:13] == [200] * 6 + [401] * 4 + [200, 401, 307]
    *fast_traced, fast_untraced = fast
    *plain_traced, plain_untraced = plain
    assert fast_traced == plain_traced
    assert [h for h, _ in fast_untraced[1]] == [h for h, _ in plain_untraced[1]]
    assert fast_untraced[0::2] == plain_untraced[0::2]


def test_inventory_answers_match(settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock, cards_per_tier=30)
    key, sandbox_key = {"X-API-Key": partner.key}, {"X-API-Key": partner.sandbox_key}
    users = ("alice", "b b", "é+x", "semi;colon")
    with TestClient(create_app(settings, clock=clock)) as client:
        for number, user_id in enumerate(users):
            bought = client.post(
                f"{API}/vm/buy/init",
                headers=key,
                json={"id": pack_id, "amount": 3 if number == 0 else 1, "user_id": user_id},
            )
            assert bought.status_code == 200, bought.text
            clock.advance(seconds=1)
        first_page = client.get(f"{API}/inventory/alice?limit=2", headers=key).json()
    cursor = first_page["next_cursor"]
    assert cursor

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        sent: list[tuple[str, str, dict[str, str]]] = [
            ("GET", f"{API}/inventory/alice", key),
            ("GET", f"{API}/inventory/b%20b", key),
            ("GET", f"{API}/inventory/%C3%A9+x", key),
            ("GET", f"{API}/inventory/%C3%A9%2Bx", key),
            ("GET", f"{API}/inventory/semi;colon", key),
            ("GET", f"{API}/inventory/nobody", key),
            ("GET", f"{API}/inventory/alice?limit=2", key),
            ("GET", f"{API}/inventory/alice?limit=2&cursor={cursor}", key),
            ("GET", f"{API}/inventory/alice?cursor={cursor}", key),
            ("GET", f"{API}/inventory/alice?limit=0", key),
            ("GET", f"{API}/inventory/alice?limit=1001", key),
            ("GET", f"{API}/inventory/alice?limit=abc", key),
            ("GET", f"{API}/inventory/alice?limit=", key),
            ("GET", f"{API}/inventory/alice?cursor=", key),
            ("GET", f"{API}/inventory/alice?cursor=garbage", key),
            ("GET", f"{API}/inventory/alice?cursor=WyJ4IiwieSJd", key),  # ["x","y"]
            ("GET", f"{API}/inventory/alice?limit=3&limit=1", key),
            ("GET", f"{API}/inventory/nobody?limit=2", key),
            ("GET", f"{API}/inventory/alice", {}),
            ("GET", f"{API}/inventory/alice", {"X-API-Key": "cv_live_nope"}),
            ("GET", f"{API}/inventory/nobody", {"X-API-Key": "cv_live_nope"}),
            ("GET", f"{API}/inventory/alice", sandbox_key),
            ("GET", f"{SANDBOX_API}/inventory/alice", key),
            ("GET", f"{SANDBOX_API}/inventory/alice", sandbox_key),
            ("GET", f"{SANDBOX_API}/inventory/alice?limit=abc", sandbox_key),
            ("GET", f"{API}/inventory/alice/", key),
            ("GET", f"{API}/inventory/", key),
            ("GET", f"{API}/inventory", key),
            ("GET", f"{API}/inventory/a%2Fb", key),
            ("GET", f"{API}/inventory/alice/items", key),
            ("HEAD", f"{API}/inventory/alice", key),
            ("DELETE", f"{API}/inventory/alice", key),
        ]
        out = []
        for method, path, headers in sent:
            traced = {**headers, **TRACED, "X-Request-Id": f"trace-{len(out)}"}
            out.append(await http.request(method, url + path, headers=traced))
        return out

    fast, plain = both(settings, clock, requests)
    statuses = [a[0] for a in fast]
    assert statuses[:6] == [200] * 5 + [404]
    assert statuses[6:18] == [200, 200, 200, 400, 400, 400, 400, 200, 400, 400, 200, 404]
    assert statuses[18:22] == [401] * 4 and statuses[25] == 307
    assert fast == plain


def test_rate_limits_apply_alike(settings: Settings, clock: FakeClock) -> None:
    limited = settings.model_copy(
        update={"rate_limit_requests": 3, "rate_limit_window_seconds": 60}
    )
    clock.now = clock.now.replace(second=10, microsecond=0)
    partners = iter([make_partner(limited), make_partner(limited)])

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        key = {"X-API-Key": next(partners).key, "X-Request-Id": "limited", **TRACED}
        paths = [f"{API}/vm/available", f"{API}/inventory/nobody"] * 3
        return [await http.get(url + path, headers=key) for path in paths]

    fast, plain = both(limited, clock, requests)
    assert [a[0] for a in fast] == [200, 404, 200, 429, 429, 429]
    assert fast == plain


UNEXPECTED = b'{"error":"An unexpected error occurred"}'
BY_ID, BY_ROUTE = "unexpected error (request broken)", "unexpected error"


@pytest.mark.parametrize(
    ("module", "name", "path", "answer_body", "logged"),
    [
        (packs_service, "available_json", f"{API}/vm/available", UNEXPECTED, BY_ID),
        (inventory_service, "inventory", f"{API}/inventory/alice", UNEXPECTED, BY_ID),
        (inventory_service, "inventory_page", f"{API}/inventory/alice?limit=2", UNEXPECTED, BY_ID),
        # ship/quote names its own 500.
        (
            shipping_service,
            "quote",
            f"{API}/ship/quote",
            b'{"error":"Failed to fetch shipping rates"}',
            BY_ROUTE,
        ),
    ],
)
def test_unexpected_errors_alike(
    settings: Settings,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    module: Any,
    name: str,
    path: str,
    answer_body: bytes,
    logged: str,
) -> None:
    partner = make_partner(settings)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, name, broken)

    async def requests(http: httpx.AsyncClient, url: str) -> list[httpx.Response]:
        headers = {"X-API-Key": partner.key, "X-Request-Id": "broken"}
        method = "POST" if path.endswith("/ship/quote") else "GET"
        # A body its schema takes, so that the request reaches the broken service.
        body = b'{"item_ids": ["i"], "destination": {}}' if method == "POST" else b""
        return [await http.request(method, url + path, headers=headers, content=body)]

    with caplog.at_level(logging.ERROR, logger="clawvault"):
        fast, plain = both(settings, clock, requests)
    assert fast == plain
    assert fast[0][0] == 500 and fast[0][2] == answer_body
    records = [(r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert records == [(logged, True)] * 2
