"""Periodic background work that every server process may run: each turn is claimed in the
database (a conditional update), so exactly one process does it, with no in-memory
coordination between processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.jobs.repository import JobRepository

log = logging.getLogger("clawvault.jobs")

Work = Callable[[Runtime, int], Awaitable[object]]


async def run_if_due(runtime: Runtime, name: str, interval_seconds: float, work: Work) -> bool:
    """Runs `work(runtime, turn)` when this process claims the job's due turn; True if it ran.
    The claim and the turn's outcome are each a unit of work; `work` opens its own."""
    now = runtime.clock()

    async def claim(conn: Conn) -> int | None:
        jobs = JobRepository(conn)
        await jobs.ensure(name, now)
        return await jobs.claim(name, now, timedelta(seconds=interval_seconds))

    turn = await Unit(runtime.db).write(claim)
    if turn is None:
        return False
    error: str | None = None
    try:
        await work(runtime, turn)
    except Exception as exc:
        log.exception("background job %s failed", name)
        error = f"{type(exc).__name__}: {exc}"

    async def record(conn: Conn) -> None:
        await JobRepository(conn).record_error(name, error)

    await Unit(runtime.db).write(record)
    return True


async def run_periodically(
    runtime: Runtime, name: str, interval_seconds: float, work: Work
) -> None:
    """The loop of one server process; its turns interleave with the other processes'."""
    while True:
        try:
            await run_if_due(runtime, name, interval_seconds, work)
        except Exception:  # a failed claim (database away) must not stop the loop
            log.exception("background job %s could not be claimed", name)
        await asyncio.sleep(min(interval_seconds, 5.0))
