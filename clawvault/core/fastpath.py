"""The hottest reads, vm/available and inventory, answered without FastAPI's routing and
dependency solving (most of a cached GET's time): the same bytes as their routes, which stay
registered for OpenAPI and for every request this path does not recognise (another method, a
trailing slash, a path it cannot match). bench/fastpath.py measures its worth: on 7 December 2026
1.65x (SQLite and PostgreSQL) for vm/available, 1.85x (SQLite) and 1.36x (PostgreSQL) for an
inventory; the writes' 1.12-1.19x did not keep them on this second road."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.datastructures import QueryParams

from clawvault.core.asgi import ASGIApp, Receive, Scope, Send, header
from clawvault.core.errors import InvalidApiKey
from clawvault.core.http import handled_error_answer
from clawvault.core.runtime import Runtime
from clawvault.partners.auth import Caller, find_caller

# (runtime, caller, the path's last segment or "", the query) -> the JSON body of a 200.
FastGet = Callable[[Runtime, Caller, str, QueryParams], Awaitable[bytes]]

NO_QUERY = QueryParams()


class FastPathMiddleware:
    """Innermost of our middlewares, so request ids, the body limit, rate limits and idempotency
    apply as before. (A route's own max_body_size would be skipped: none has one.)

    `exact` maps a path under one of `prefixes` to its GET handler ("/vm/available");
    `one_segment` maps a path under a prefix that ends in one more segment, handed to the
    handler as its parameter ("/inventory" for "/inventory/{user_id}")."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...],
        exact: Mapping[str, FastGet],
        one_segment: Mapping[str, FastGet],
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.exact = dict(exact)
        self.one_segment = dict(one_segment)

    def under_prefix(self, path: str) -> str | None:
        for prefix in self.prefixes:
            if path.startswith(prefix):
                return path[len(prefix) :]
        return None

    def match_get(self, rest: str) -> tuple[FastGet, str] | None:
        handler = self.exact.get(rest)
        if handler is not None:
            return handler, ""
        head, _, tail = rest.rpartition("/")
        handler = self.one_segment.get(head)
        return (handler, tail) if handler is not None and tail else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rest = (
            self.under_prefix(scope["path"])
            if scope["type"] == "http"
            and not scope.get("root_path")  # the router would match the path without it
            and "fastapi.telemetry" not in scope  # telemetry records the matched route
            else None
        )
        if rest is not None and scope["method"] == "GET":
            found = self.match_get(rest)
            if found is not None:
                handler, parameter = found
                await self.get(scope, send, handler, parameter)
                return
        await self.app(scope, receive, send)

    async def get(self, scope: Scope, send: Send, handler: FastGet, parameter: str) -> None:
        async def run(runtime: Runtime, caller: Caller) -> bytes:
            query_string = scope["query_string"]
            query = QueryParams(query_string) if query_string else NO_QUERY
            return await handler(runtime, caller, parameter, query)

        await answer(scope, send, run)


async def answer(
    scope: Scope, send: Send, run: Callable[[Runtime, Caller], Awaitable[bytes]]
) -> None:
    """The caller found as get_caller finds it, `run`'s 200, or an error rendered as core.http's
    handlers render it (anything else goes on to the outer middlewares, as from a route)."""
    state = scope["app"].state
    runtime: Runtime = state.runtime
    try:
        caller = await find_caller(
            state.key_cache, runtime, header(scope, b"x-api-key") or "", scope["path"]
        )
        if caller is None:
            raise InvalidApiKey()
        status, body = 200, await run(runtime, caller)
    except Exception as exc:
        handled = handled_error_answer(exc)
        if handled is None:
            raise
        status, body = handled[0], orjson.dumps(handled[1])
    # What a starlette Response sends, headers in its order.
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/json"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
