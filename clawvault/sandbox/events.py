"""Webhook events of sandbox changes. Sandbox state lives in its own store, so an event cannot
share the change's transaction the way production's outbox does: it is written to the outbox
right after the sandbox change committed. A crash between the two loses that one event (sandbox
state is volatile too); a failure to write it is logged and never fails the request."""

from __future__ import annotations

import logging
from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.partners.auth import Caller
from clawvault.webhooks.domain import EventType
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
