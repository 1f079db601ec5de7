"""Webhook events of sandbox changes. Sandbox state lives in its own store, so an event cannot
share the change's transaction the way production's outbox does: it is written to the outbox
right after the sandbox change committed, in a unit of work of its own on the platform's
database (the request's is on the sandbox store). A crash between the two loses that one event
(sandbox state is volatile too); a failure to write it is logged and never fails the request.
buyback.expiring is found by a scan, as in production, each key's holdings on that key's clock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
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
    async def work(conn: Conn) -> None:
        await emit(
            conn,
            caller.partner_id,
            event_type,
            data,
            runtime.clock(),
            environment=caller.environment,
        )

    try:
        await Unit(runtime.db).write(work)
    except Exception:
        log.exception("sandbox event %s could not be recorded", event_type.value)


async def _expiring(
    sandbox: Unit, key_id: int, real_now: datetime, lead: timedelta, after_id: int, batch: int
) -> Sequence[Any]:
    """The key's holdings whose window closes within `lead` of its clock, after `after_id`."""

    async def work(conn: Conn) -> Sequence[Any]:
        repo = SandboxRepository(conn, key_id)
        now = sandbox_now(real_now, await repo.clock_offset())
        return await repo.expiring(now, now + lead, after_id, batch)

    return await sandbox.read(work)


async def _announced(main: Unit, dedupe_keys: list[str]) -> set[str]:
    async def work(conn: Conn) -> set[str]:
        return await WebhookRepository(conn).announced(dedupe_keys)

    return await main.read(work)


async def announce_expiring(runtime: Runtime, batch: int = 500) -> int:
    """buyback.expiring for sandbox holdings whose window closes within the lead time, once
    each, for the keys whose partner has a sandbox endpoint. The holdings live in the sandbox
    store and the outbox in the main database, so the announced ones are told apart by their
    dedupe key (session and position: unique across resets and restarts). At most `batch`
    events a pass: one unit of work on each database."""
    store = runtime.sandbox_db
    if store is None:
        return 0
    main, sandbox = Unit(runtime.db), Unit(store)

    async def keys(conn: Conn) -> dict[int, int]:
        return await WebhookRepository(conn).sandbox_keys_with_endpoints()

    owners = await main.read(keys)
    lead = timedelta(hours=runtime.settings.webhook_expiring_lead_hours)
    real_now = runtime.clock()
    due: list[tuple[int, str, dict[str, Any]]] = []
    for key_id, partner_id in owners.items():
        after_id = 0
        while len(due) < batch:
            rows = await _expiring(sandbox, key_id, real_now, lead, after_id, batch)
            if not rows:
                break
            after_id = rows[-1]["id"]
            found = {
                f"sandbox:buyback.expiring:{row['session_id']}:{row['position']}": row
                for row in rows
            }
            done = await _announced(main, list(found))
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
                if dedupe_key not in done
            ]
    if not due:
        return 0

    async def work(conn: Conn) -> int:
        count = 0
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

    return await main.write(work)
