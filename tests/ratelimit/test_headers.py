"""X-Request-Id on every answer; per-key rate limits shared through the database."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.settings import Settings
from tests.factories import FakeClock, make_partner
from tests.live import serving

API = "/api/v1"


def test_request_id_on_every_answer(client: TestClient, settings: Settings) -> None:
    partner = make_partner(settings)
    answers = [
        client.get(f"{API}/vm/available", headers=partner.headers),
        client.get(f"{API}/vm/available"),  # 401
        client.get(f"{API}/inventory/"),  # the framework's 404
        client.post(f"{API}/vm/buy/init", headers=partner.headers, content=b"{oops"),  # 400
    ]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == len(ids)
    echoed = client.get(
        f"{API}/vm/available", headers={**partner.headers, "X-Request-Id": "trace-abc.123"}
    )
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    odd = client.get(f"{API}/vm/available", headers={**partner.headers, "X-Request-Id": "a b"})
    assert odd.headers["x-request-id"] != "a b"


def test_rate_limit_429_with_retry_after_across_processes(
    settings: Settings, clock: FakeClock
) -> None:
    limited = settings.model_copy(
        update={"rate_limit_requests": 5, "rate_limit_window_seconds": 60}
    )
    partner, other = make_partner(limited), make_partner(limited)
    clock.now = clock.now.replace(second=50, microsecond=0)

    async def main() -> list[httpx.Response]:
        # Two server processes on one database share the count.
        first = create_app(limited, clock=clock)
        second = create_app(limited, clock=clock)
        async with serving(first) as a, serving(second) as b, httpx.AsyncClient() as http:
            answers = []
            for i in range(7):
                url = (a, b)[i % 2]
                answers.append(await http.get(f"{url}{API}/vm/available", headers=partner.headers))
            answers.append(await http.get(f"{a}{API}/vm/available", headers=other.headers))
            clock.advance(seconds=10)  # the next window
            answers.append(await http.get(f"{b}{API}/vm/available", headers=partner.headers))
            return answers

    answers = asyncio.run(main())
    assert [a.status_code for a in answers[:7]] == [200] * 5 + [429, 429]
    assert answers[5].json() == {"error": "Rate limit exceeded"}
    assert answers[5].headers["retry-after"] == "10"
    assert "x-request-id" in answers[5].headers
    assert answers[7].status_code == 200  # limits are per key
    assert answers[8].status_code == 200
