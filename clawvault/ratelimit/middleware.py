"""Per-key rate limits: a fixed window counted in the database (so every process shares it);
over the limit, 429 with Retry-After."""

from __future__ import annotations

import math

from clawvault.core.asgi import ASGIApp, Receive, Scope, Send, header, send_json
from clawvault.core.errors import ApiError
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import find_caller
from clawvault.ratelimit import service


class RateLimited(ApiError):
    status_code = 429
    message = "Rate limit exceeded"


def window_of(epoch_seconds: float, window_seconds: int) -> tuple[int, int]:
    """The window's start and the whole seconds until the next one (at least 1)."""
    start = int(epoch_seconds // window_seconds) * window_seconds
    return start, max(1, math.ceil(start + window_seconds - epoch_seconds))


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        runtime: Runtime = app.state.runtime
        limit = runtime.settings.rate_limit_requests
        key = header(scope, b"x-api-key")
        if limit <= 0 or not key:
            await self.app(scope, receive, send)
            return
        if await find_caller(app.state.key_cache, runtime, key, scope["path"]) is None:
            await self.app(scope, receive, send)  # an invalid key is answered 401, not counted
            return
        start, retry_after = window_of(
            runtime.clock().timestamp(), runtime.settings.rate_limit_window_seconds
        )
        # Counted in a unit of its own, committed before the request runs.
        count = await service.count_request(runtime, Unit(runtime.db), key, start)
        if count > limit:
            error = RateLimited()
            await send_json(
                send,
                error.status_code,
                error.body(),
                [(b"retry-after", str(retry_after).encode())],
            )
            return
        await self.app(scope, receive, send)
