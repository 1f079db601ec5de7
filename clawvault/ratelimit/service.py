from __future__ import annotations

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.partners.domain import hash_api_key
from clawvault.ratelimit.repository import RateLimitRepository


async def count_request(runtime: Runtime, unit: Unit, api_key: str, window_start: int) -> int:
    """Counts one request of the key in its window; returns the window's count so far."""

    async def work(conn: Conn) -> int:
        return await RateLimitRepository(conn).count_request(hash_api_key(api_key), window_start)

    return await unit.write(work)


async def purge(runtime: Runtime, unit: Unit) -> None:
    """Drops the counters of windows that have ended."""
    window = runtime.settings.rate_limit_window_seconds
    current = int(runtime.clock().timestamp() // window) * window

    async def work(conn: Conn) -> None:
        await RateLimitRepository(conn).purge_before(current)

    await unit.write(work)
