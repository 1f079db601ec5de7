from __future__ import annotations

from clawvault.core.runtime import Runtime
from clawvault.ratelimit.repository import RateLimitRepository


async def purge(runtime: Runtime) -> None:
    """Drops the counters of windows that have ended."""
    window = runtime.settings.rate_limit_window_seconds
    current = int(runtime.clock().timestamp() // window) * window
    async with runtime.db.write() as conn:
        await RateLimitRepository(conn).purge_before(current)
