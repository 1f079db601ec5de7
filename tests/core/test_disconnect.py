"""A client that leaves while sending its body: nothing runs, nothing is claimed, no 500 logged."""

from __future__ import annotations

import logging

import orjson
import pytest
from fastapi.testclient import TestClient

from clawvault.core.asgi import Message
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner, post_scope

API = "/api/v1"


def send_cut_short(
    client: TestClient, path: str, headers: dict[str, str], body: bytes
) -> list[Message]:
    """Half of the body, then the client disconnects; returns what the app tried to send."""
    scope = post_scope(path, headers)
    incoming: list[Message] = [
        {"type": "http.request", "body": body[: len(body) // 2], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    return sent


@pytest.mark.parametrize("idempotency_key", [None, "cut-1"])
def test_a_body_cut_short_runs_nothing(
    client: TestClient,
    settings: Settings,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    idempotency_key: str | None,
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    headers = {**partner.headers, "content-type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    body = orjson.dumps({"id": pack_id, "amount": 1, "user_id": "alice"})

    with caplog.at_level(logging.INFO, logger="clawvault"):
        send_cut_short(client, f"{API}/vm/buy/init", headers, body)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("disconnected" in r.getMessage() for r in caplog.records)
    # Nothing ran: the user was not even created.
    unknown = client.get(f"{API}/inventory/alice", headers=partner.headers)
    assert unknown.status_code == 404 and unknown.json() == {"error": "User not found"}

    # The retry (same Idempotency-Key, whole body) is a first attempt, not a conflict.
    retry = client.post(f"{API}/vm/buy/init", headers=headers, content=body)
    assert retry.status_code == 200, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert len(client.get(f"{API}/inventory/alice", headers=partner.headers).json()["items"]) == 1
