"""Webhook events of sandbox changes. Sandbox state lives in its own store, so an event cannot
share the change's transaction the way production's outbox does: it is written to the outbox
right after the sandbox change committed. A crash between the two loses that one event (sandbox
state is volatile too); a failure to write it is logged and never fails the request.
buyback.expiring is found by a scan, as in production, each key's holdings on that key's clock."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.db.models import Environment
from clawvault.partners.auth import Caller
from clawvault.sandbox.domain import sandbox_now
from clawvault.sandbox.repository import SandboxRepository
from clawvault.webhooks.domain import EventType, expiring_data
from clawvault.webhooks.repository import WebhookRepository
from clawvault.webhooks.service import emit

log = logging.getLogger("clawvault.sandbox")


async def announce(
    runtime: Runtime, caller: Caller, event_type: EventType, data: dict[str, Any]
) -> None:
    try:
        async with runtime.db.write() as conn:
            await emit(
                conn,
                caller.partner_id,
                event_type,
                data,
                runtime.clock(),
                environment=caller.environment,
            )
    except Exception:
        log.exception("sandbox event %s could not be recorded", event_type.value)


async def announce_expiring(runtime: Runtime, batch: int = 500) -> int:
    """buyback.expiring for sandbox holdings whose window closes within the lead time, once
    each, for the keys whose partner has a sandbox endpoint. The holdings live in the sandbox
    store and the outbox in the main database, so the announced ones are told apart by their
    dedupe key (session and position: unique across resets and restarts). At most `batch`
    events a pass."""
    store = runtime.sandbox_db
    if store is None:
        return 0
    async with runtime.db.read() as conn:
        owners = await WebhookRepository(conn).sandbox_keys_with_endpoints()
    lead = timedelta(hours=runtime.settings.webhook_expiring_lead_hours)
    real_now = runtime.clock()
    due: list[tuple[int, str, dict[str, Any]]] = []
    for key_id, partner_id in owners.items():
        after_id = 0
        while len(due) < batch:
            async with store.read() as conn:
                repo = SandboxRepository(conn, key_id)
                now = sandbox_now(real_now, await repo.clock_offset())
                rows = await repo.expiring(now, now + lead, after_id, batch)
            if not rows:
                break
            after_id = rows[-1]["id"]
            found = {
                f"sandbox:buyback.expiring:{row['session_id']}:{row['position']}": row
                for row in rows
            }
            async with runtime.db.read() as conn:
                announced = await WebhookRepository(conn).announced(list(found))
            due += [
                (
                    partner_id,
                    dedupe_key,
                    expiring_data(
                        row["card_id"],
                        row["user_id"],
                        row["pack_id"],
                        row["buyback_price_cents"],
                        row["buyback_expires_at"],
                    ),
                )
                for dedupe_key, row in found.items()
                if dedupe_key not in announced
            ]
    if not due:
        return 0
    count = 0
    async with runtime.db.write() as conn:
        for partner_id, dedupe_key, data in due[:batch]:
            event_id = await emit(
                conn,
                partner_id,
                EventType.BUYBACK_EXPIRING,
                data,
                real_now,
                environment=Environment.SANDBOX,
                dedupe_key=dedupe_key,
            )
            count += event_id is not None
    return count
