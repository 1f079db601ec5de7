"""The hottest routes answered without FastAPI's routing and dependency solving: the same bytes as
their routes, which stay registered for OpenAPI and for every request this path does not
recognise (another method, a trailing slash, a path it cannot match).

A route is here only while a benchmark of a served worker shows this path worth at least 1.5x its
route (`bench/cpu.py` with `CLAWVAULT_FAST_GETS` / `CLAWVAULT_FAST_POSTS` at 1 and 0,
interleaved). On 7 December 2026 on SQLite: `ship/quote` 1.78-1.82x the requests a second (the
worker's CPU a quote 0.16 against 0.33 ms), so it stays; `vm/buyback` 1.28-1.43x and
`vm/buy/init` 1.03-1.09x, so they left. `vm/available` and the inventory: 1.65x and 1.36-1.85x
(`bench/fastpath.py`, in one process, where the client's own work on both sides makes every
ratio smaller than a served worker's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.datastructures import QueryParams

from clawvault.core.asgi import ASGIApp, Receive, Scope, Send, header, read_body
from clawvault.core.errors import InvalidApiKey
from clawvault.core.http import handled_error_answer, json_object
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, find_caller

# (runtime, unit, caller, the path's last segment or "", the query) -> the JSON body of a 200.
FastGet = Callable[[Runtime, Unit, Caller, str, QueryParams], Awaitable[bytes]]
# (runtime, unit, caller, the JSON object body) -> the JSON body of a 200.
FastPost = Callable[[Runtime, Unit, Caller, dict[str, Any]], Awaitable[bytes]]

# (the request's ASGI scope, runtime, caller) -> the request's unit of work, as its route's
# dependency opens it (`variants.unit_of`).
UnitOf = Callable[[Scope, Runtime, Caller], Unit]

NO_QUERY = QueryParams()


class FastPathMiddleware:
    """Innermost of our middlewares, so request ids, the body limit, rate limits and idempotency
    apply as before. (A route's own max_body_size would be skipped: none has one.)

    `exact` maps a path under one of `prefixes` to its GET handler ("/vm/available");
    `one_segment` maps a path under a prefix that ends in one more segment, handed to the
    handler as its parameter ("/inventory" for "/inventory/{user_id}"); `posts` maps a path
    under a prefix to its POST handler ("/vm/buyback")."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...],
        exact: Mapping[str, FastGet],
        one_segment: Mapping[str, FastGet],
        posts: Mapping[str, FastPost],
        units: UnitOf,
    ) -> None:
        self.app = app
        self.units = units
        self.prefixes = prefixes
        self.exact = dict(exact)
        self.one_segment = dict(one_segment)
        self.posts = dict(posts)

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
        if rest is not None:
            method = scope["method"]
            if method == "GET":
                found = self.match_get(rest)
                if found is not None:
                    handler, parameter = found
                    await self.get(scope, send, handler, parameter)
                    return
            elif method == "POST":
                post = self.posts.get(rest)
                if post is not None:
                    await self.post(scope, receive, send, post)
                    return
        await self.app(scope, receive, send)

    async def get(self, scope: Scope, send: Send, handler: FastGet, parameter: str) -> None:
        async def run(runtime: Runtime, unit: Unit, caller: Caller) -> bytes:
            query_string = scope["query_string"]
            query = QueryParams(query_string) if query_string else NO_QUERY
            return await handler(runtime, unit, caller, parameter, query)

        await answer(scope, send, self.units, run)

    async def post(self, scope: Scope, receive: Receive, send: Send, handler: FastPost) -> None:
        async def run(runtime: Runtime, unit: Unit, caller: Caller) -> bytes:
            # As the routes read it: the key is checked before the body is read.
            return await handler(runtime, unit, caller, json_object(await read_body(receive)))

        await answer(scope, send, self.units, run)


async def answer(
    scope: Scope,
    send: Send,
    units: UnitOf,
    run: Callable[[Runtime, Unit, Caller], Awaitable[bytes]],
) -> None:
    """The caller found as get_caller finds it and the unit of work as its route's opens it,
    `run`'s 200, or an error rendered as core.http's handlers render it (anything else goes on
    to the outer middlewares, as from a route)."""
    state = scope["app"].state
    runtime: Runtime = state.runtime
    try:
        caller = await find_caller(
            state.key_cache, runtime, header(scope, b"x-api-key") or "", scope["path"]
        )
        if caller is None:
            raise InvalidApiKey()
        unit = units(scope, runtime, caller)
        status, body = 200, await run(runtime, unit, caller)
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
