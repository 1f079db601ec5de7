"""CLAWVAULT_MAX_BODY_BYTES: a body over it is answered 413 in the API's error shape, with the
request's X-Request-Id, whether its Content-Length announced it or it came in chunks, and
whichever path reads it (a route, or the fast path's middleware); nothing of it is written."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, PartnerKeys, make_pack, make_partner
from tests.invariants import query

LIMIT = 300
TOO_LARGE = {"error": "Content Too Large"}


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": LIMIT}), clock=FakeClock())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def padded(body: str, size: int) -> bytes:
    """`body` (a JSON object) with a "pad" member making it `size` bytes."""
    return (body[:-1] + ', "pad": "' + "x" * (size - len(body) - 11) + '"}').encode()


def in_chunks(body: bytes) -> Iterator[bytes]:
    yield body[:100]
    yield body[100:]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/vm/buy/init", "/api/v1/ship/request"])
def test_a_body_over_the_limit_is_a_413_with_the_request_id(
    limited: TestClient, settings: Settings, path: str, chunked: bool
) -> None:
    partner: PartnerKeys = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    body = f'{{"id": "{pack_id}", "amount": 1, "user_id": "ann", "quote_id": "q"}}'
    over = padded(body, LIMIT + 1)
    headers = {**partner.headers, "Content-Type": "application/json", "X-Request-Id": "r-1"}
    content = in_chunks(over) if chunked else over
    response = limited.post(path, content=content, headers=headers)  # type: ignore[arg-type]
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert response.headers["x-request-id"] == "r-1"
    assert query(settings, "SELECT COUNT(*) FROM purchase_sessions") == [(0,)]

    # At the limit, the request runs (a pull, or a quote that does not exist).
    at_limit = padded(body, LIMIT)
    content = in_chunks(at_limit) if chunked else at_limit
    response = limited.post(path, content=content, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == (200 if path.endswith("init") else 400), response.text
    assert response.headers["x-request-id"] == "r-1"


def test_no_limit_by_default(client: TestClient, settings: Settings) -> None:
    partner = make_partner(settings)
    body = padded(json.dumps({"item_ids": ["nope"], "destination": ADDRESS}), 100_000)
    response = client.post("/api/v1/ship/quote", content=body, headers=partner.headers)
    assert (response.status_code, response.json()) == (400, {"error": "Item not found"})
