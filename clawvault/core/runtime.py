"""What a request needs besides its input: the database, settings, the clock, randomness."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from clawvault.core.randomness import Randomness, SystemRandomness
from clawvault.core.timeutil import Clock, utcnow
from clawvault.db.engine import Database
from clawvault.db.unit import Record, Unit
from clawvault.settings import Settings


@dataclass
class Runtime:
    db: Database
    settings: Settings
    clock: Clock = utcnow
    randomness: Randomness = field(default_factory=SystemRandomness)
    # Where sandbox state lives (see clawvault.sandbox.store); None outside a server.
    sandbox_db: Database | None = None


async def get_runtime(request: Request) -> Runtime:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, per request.
    runtime: Runtime = request.app.state.runtime
    return runtime


# The key of the request's idempotency record in its ASGI scope's state (set by
# idempotency.middleware), which the request's unit of work writes with its effects.
IDEMPOTENCY_RECORD = "idempotency_record"


def request_unit(scope: Mapping[str, Any], db: Database) -> Unit:
    """The unit of work of the request of ASGI `scope` on `db`, with its idempotency record."""
    record: Record | None = scope.get("state", {}).get(IDEMPOTENCY_RECORD)
    return Unit(db, record)


async def get_unit(request: Request) -> Unit:
    """The request's unit of work on the platform's database (the Partner API's routes take
    `variants.caller_unit`, on the store of the caller's environment)."""
    runtime: Runtime = request.app.state.runtime
    return request_unit(request.scope, runtime.db)
