"""Webhooks: endpoints, the outbox (`emit`, called inside the transaction of the change), the
delivery log and replays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clawvault.core.pagination import InvalidCursor, decode_cursor, encode_cursor, parse_limit
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc, isoformat
from clawvault.db.conn import Conn
from clawvault.db.models import Environment, WebhookDeliveryStatus
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.partners.service import partner_id_in
from clawvault.webhooks.domain import (
    EVENT_TYPES,
    BadTarget,
    EventType,
    check_url,
    new_delivery_id,
    new_endpoint_id,
    new_event_id,
    new_secret,
    subscribed,
)
from clawvault.webhooks.errors import (
    DeliveryNotFound,
    EndpointNotFound,
    InvalidEventTypes,
    InvalidSandboxFlag,
    InvalidWebhookUrl,
)
from clawvault.webhooks.repository import WebhookRepository


async def emit(
    conn: Conn,
    partner_id: int,
    event_type: EventType,
    data: dict[str, Any],
    now: datetime,
    *,
    environment: Environment = Environment.PRODUCTION,
    dedupe_key: str | None = None,
    has_endpoints: bool = True,
) -> str | None:
    """Writes the event and one pending delivery per subscribed endpoint, in the caller's
    transaction: a rolled-back change sends nothing, a committed one is never lost. Returns the
    event id (None when no endpoint wants it, or it was announced already). `has_endpoints`
    False: the caller read `endpoint_exists` in this transaction and found none, so the
    endpoints are not looked up again."""
    if not has_endpoints and dedupe_key is None:
        return None
    repo = WebhookRepository(conn)
    endpoints = [
        e
        for e in await repo.endpoints(partner_id, environment.value)
        if subscribed(e["events"], event_type.value)
    ]
    if not endpoints and dedupe_key is None:
        return None
    event_id = new_event_id()
    payload = {
        "id": event_id,
        "type": event_type.value,
        "created_at": isoformat(now),
        "environment": environment.value,
        "data": data,
    }
    added = await repo.add_event(
        {
            "id": event_id,
            "partner_id": partner_id,
            "environment": environment.value,
            "type": event_type.value,
            "dedupe_key": dedupe_key,
            "payload": payload,
            "created_at": now,
        }
    )
    if not added:
        return None
    await repo.add_deliveries(
        [_delivery_row(event_id, e["id"], partner_id, now) for e in endpoints]
    )
    return event_id


def _delivery_row(
    event_id: str, endpoint_id: str, partner_id: int, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_delivery_id(),
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "partner_id": partner_id,
        "status": WebhookDeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def endpoint_json(row: Any, *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "url": row["url"],
        "events": list(row["events"]) or sorted(EVENT_TYPES),
        "created_at": isoformat(row["created_at"]),
    }
    if with_secret:
        out["secret"] = row["secret"]
    return out


def delivery_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "endpoint_id": row["endpoint_id"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": isoformat(row["next_attempt_at"])
        if row["status"] == WebhookDeliveryStatus.PENDING.value
        else None,
        "last_attempt_at": isoformat(row["last_attempt_at"]),
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "delivered_at": isoformat(row["delivered_at"]),
        "created_at": isoformat(row["created_at"]),
    }


def parse_events(value: Any) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or not value
        or any(not isinstance(v, str) or v not in EVENT_TYPES for v in value)
    ):
        raise InvalidEventTypes()
    return sorted(set(value))


async def create_endpoint(
    runtime: Runtime,
    unit: Unit,
    partner_id: int,
    environment: Environment,
    body: dict[str, Any],
) -> dict[str, Any]:
    row = _endpoint_row(runtime, partner_id, environment, body)

    async def work(conn: Conn) -> None:
        await WebhookRepository(conn).add_endpoint(row)

    await unit.write(work)
    return endpoint_json(row, with_secret=True)


def _endpoint_row(
    runtime: Runtime, partner_id: int, environment: Environment, body: dict[str, Any]
) -> dict[str, Any]:
    try:
        url = check_url(body.get("url"))
    except BadTarget as exc:
        raise InvalidWebhookUrl() from exc
    return {
        "id": new_endpoint_id(),
        "partner_id": partner_id,
        "environment": environment.value,
        "url": url,
        "secret": new_secret(),
        "events": parse_events(body.get("events")),
        "created_at": runtime.clock(),
    }


async def list_endpoints(runtime: Runtime, unit: Unit, caller: Caller) -> dict[str, Any]:
    async def work(conn: Conn) -> Sequence[Any]:
        return await WebhookRepository(conn).endpoints(caller.partner_id, caller.environment.value)

    rows = await unit.read(work)
    return {"endpoints": [endpoint_json(r) for r in rows]}


async def delete_endpoint(
    runtime: Runtime, unit: Unit, caller: Caller, endpoint_id: str
) -> dict[str, Any]:
    async def work(conn: Conn) -> None:
        repo = WebhookRepository(conn)
        if await repo.endpoint(endpoint_id, caller.partner_id, caller.environment.value) is None:
            raise EndpointNotFound()
        await repo.delete_endpoint(endpoint_id, runtime.clock())

    await unit.write(work)
    return {"id": endpoint_id, "deleted": True}


async def list_deliveries(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    limit: str | None,
    cursor: str | None,
    event_id: str | None,
) -> dict[str, Any]:
    size = parse_limit(limit, 50)
    after = None
    if cursor:
        created_at, delivery_id = decode_cursor(cursor, 2)
        try:
            after = (as_utc(datetime.fromisoformat(str(created_at))), str(delivery_id))
        except ValueError as exc:
            raise InvalidCursor() from exc

    async def work(conn: Conn) -> Sequence[Any]:
        return await WebhookRepository(conn).deliveries(
            caller.partner_id, caller.environment.value, size + 1, after, event_id
        )

    rows = await unit.read(work)
    page = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = page[-1]
        next_cursor = encode_cursor([as_utc(last["created_at"]).isoformat(), last["id"]])
    return {"deliveries": [delivery_json(r) for r in page], "next_cursor": next_cursor}


async def replay_delivery(
    runtime: Runtime, unit: Unit, caller: Caller, delivery_id: str
) -> dict[str, Any]:
    """Sends the delivery's event to its endpoint again, as a new delivery due now."""
    now = runtime.clock()

    async def work(conn: Conn) -> dict[str, Any]:
        repo = WebhookRepository(conn)
        original = await repo.delivery(delivery_id, caller.partner_id)
        if original is None or original["environment"] != caller.environment.value:
            raise DeliveryNotFound()
        if await repo.endpoint(original["endpoint_id"]) is None:
            raise EndpointNotFound()
        row = _delivery_row(original["event_id"], original["endpoint_id"], caller.partner_id, now)
        await repo.add_deliveries([row])
        replayed = await repo.delivery(row["id"], caller.partner_id)
        assert replayed is not None
        return delivery_json(replayed)

    return await unit.write(work, answers=True)


def environment_of(sandbox: Any) -> Environment:
    if not isinstance(sandbox, bool):
        raise InvalidSandboxFlag()
    return Environment.SANDBOX if sandbox else Environment.PRODUCTION


async def create_endpoint_for(
    runtime: Runtime,
    unit: Unit,
    partner_name: str,
    environment: Environment,
    url: Any,
    events: Any,
) -> dict[str, Any]:
    """The operator's registration of an endpoint for a partner (CLI, admin API)."""
    body: dict[str, Any] = {"url": url, "events": events or None}

    async def work(conn: Conn) -> dict[str, Any]:
        partner_id = await partner_id_in(conn, partner_name)
        row = _endpoint_row(runtime, partner_id, environment, body)
        await WebhookRepository(conn).add_endpoint(row)
        return row

    row = await unit.write(work)
    return {**endpoint_json(row, with_secret=True), "environment": environment.value}


async def list_endpoints_for(runtime: Runtime, unit: Unit, partner_name: str) -> dict[str, Any]:
    """Both environments' endpoints of a partner, for the operator."""

    async def work(conn: Conn) -> list[dict[str, Any]]:
        partner_id = await partner_id_in(conn, partner_name)
        repo = WebhookRepository(conn)
        return [
            {**endpoint_json(row), "environment": environment.value}
            for environment in Environment
            for row in await repo.endpoints(partner_id, environment.value)
        ]

    return {"endpoints": await unit.read(work)}


async def delete_endpoint_for(
    runtime: Runtime, unit: Unit, partner_name: str, endpoint_id: str
) -> dict[str, Any]:
    async def work(conn: Conn) -> None:
        partner_id = await partner_id_in(conn, partner_name)
        repo = WebhookRepository(conn)
        if await repo.endpoint(endpoint_id, partner_id) is None:
            raise EndpointNotFound()
        await repo.delete_endpoint(endpoint_id, runtime.clock())

    await unit.write(work)
    return {"id": endpoint_id, "deleted": True}
