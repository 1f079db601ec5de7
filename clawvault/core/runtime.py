"""What a request needs besides its input: the database, settings, the clock, randomness."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from clawvault.core.randomness import Randomness, SystemRandomness
from clawvault.core.timeutil import Clock, utcnow
from clawvault.db.engine import Database
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
