"""The delivery worker and the buyback.expiring scan: safe when every process runs them (a
delivery is claimed by one worker at a time; an event is announced once by its dedupe key)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.models import WebhookDeliveryStatus
from clawvault.db.unit import Unit
from clawvault.packs.domain import buyback_cents
from clawvault.settings import Settings
from clawvault.webhooks.domain import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    EventType,
    expiring_data,
    retry_delay_seconds,
    signature_header,
)
from clawvault.webhooks.repository import WebhookRepository
from clawvault.webhooks.service import emit

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("clawvault.webhooks")
CLAIM_SECONDS = 120
BATCH = 50


async def deliver_due(runtime: Runtime, client: httpx.AsyncClient | None = None) -> int:
    """One pass: claims due deliveries, sends them, records each outcome (the claim and the
    outcomes each a unit of work of their own, the sending between them). Returns how many
    were attempted."""
    now = runtime.clock()
    token = secrets.token_hex(16)

    async def claim(conn: Conn) -> Sequence[Any]:
        repo = WebhookRepository(conn)
        ids = await repo.claim_due(now, now + timedelta(seconds=CLAIM_SECONDS), token, BATCH)
        return await repo.claimed_work(ids) if ids else []

    work = await Unit(runtime.db).write(claim)
    if not work:
        return 0
    own_client = client is None
    http = client or _client(runtime.settings)
    try:
        outcomes = await asyncio.gather(*(_send(runtime, http, item) for item in work))
    finally:
        if own_client:
            await http.aclose()

    async def record(conn: Conn) -> None:
        repo = WebhookRepository(conn)
        for item, (status_code, error) in zip(work, outcomes, strict=True):
            await repo.record_attempt(
                item["id"], token, _outcome(runtime, item, status_code, error)
            )

    await Unit(runtime.db).write(record)
    return len(work)


async def _send(
    runtime: Runtime, http: httpx.AsyncClient, item: Any
) -> tuple[int | None, str | None]:
    body = orjson.dumps(item["payload"])
    timestamp = int(runtime.clock().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "clawvault-webhooks/1",
        SIGNATURE_HEADER: signature_header(item["secret"], timestamp, body),
        EVENT_ID_HEADER: item["event_id"],
        EVENT_TYPE_HEADER: item["event_type"],
        DELIVERY_ID_HEADER: item["id"],
    }
    from httpx import HTTPError  # loaded already: `http` is an httpx client

    try:
        response = await http.post(item["url"], content=body, headers=headers)
    except HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def _client(settings: Settings) -> httpx.AsyncClient:
    # httpx is loaded where a webhook is sent, not by every worker at start (~6-10 MiB each).
    from clawvault.webhooks.transport import webhook_client

    return webhook_client(settings.webhook_timeout_seconds, settings.webhook_allow_private_targets)


def _outcome(
    runtime: Runtime, item: Any, status_code: int | None, error: str | None
) -> dict[str, Any]:
    now = runtime.clock()
    attempts = item["attempts"] + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": status_code,
        "last_error": error,
    }
    settings = runtime.settings
    if error is None:
        values.update(status=WebhookDeliveryStatus.SUCCEEDED.value, delivered_at=now)
    elif attempts >= settings.webhook_max_attempts:
        values["status"] = WebhookDeliveryStatus.FAILED.value
    else:
        delay = retry_delay_seconds(
            attempts, settings.webhook_retry_base_seconds, settings.webhook_retry_max_delay_seconds
        )
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    return values


async def announce_expiring(runtime: Runtime) -> int:
    """buyback.expiring for each held card whose window closes within the lead time, once."""
    now = runtime.clock()
    horizon = now + timedelta(hours=runtime.settings.webhook_expiring_lead_hours)

    async def work(conn: Conn) -> int:
        count = 0
        for row in await WebhookRepository(conn).expiring_holdings(now, horizon, 500):
            event_id = await emit(
                conn,
                row["owner_partner_id"],
                EventType.BUYBACK_EXPIRING,
                expiring_data(
                    row["id"],
                    row["owner_user_id"],
                    row["pack_id"],
                    buyback_cents(row["fmv_cents"], row["buyback_bps"]),
                    row["buyback_expires_at"],
                ),
                now,
                dedupe_key=f"buyback.expiring:{row['id']}:{row['session_id']}",
            )
            count += event_id is not None
        return count

    return await Unit(runtime.db).write(work)


Scan = Callable[[Runtime], Awaitable[int]]


async def run_webhooks(runtime: Runtime, scans: Sequence[Scan] = (announce_expiring,)) -> None:
    """The background loop every process runs: the expiring scans (production's, and the
    sandbox's that the app adds), then the deliveries that are due."""
    settings = runtime.settings
    loop = asyncio.get_running_loop()
    next_scan = loop.time()
    async with _client(settings) as http:
        while True:
            try:
                if loop.time() >= next_scan:
                    next_scan = loop.time() + settings.webhook_expiring_scan_seconds
                    for scan in scans:
                        await scan(runtime)
                while await deliver_due(runtime, http) == BATCH:
                    pass
            except Exception:  # a database hiccup must not stop the loop for good
                log.exception("webhook worker pass failed")
            await asyncio.sleep(settings.webhook_poll_seconds)
