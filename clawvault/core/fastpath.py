"""The hottest GETs answered without FastAPI's routing and dependency solving (most of a cached
answer's time): the same bytes as their routes, which stay registered for OpenAPI and for every
request this path does not recognise (another method, a trailing slash, a path it cannot match)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import orjson
from starlette.datastructures import QueryParams

from clawvault.core.asgi import ASGIApp, Receive, Scope, Send, header
from clawvault.core.errors import ApiError, InvalidApiKey
from clawvault.core.runtime import Runtime
from clawvault.partners.auth import Caller, find_caller

# (runtime, caller, the path's last segment or "", the query) -> the JSON body of a 200.
FastHandler = Callable[[Runtime, Caller, str, QueryParams], Awaitable[bytes]]

NO_QUERY = QueryParams()


class FastPathMiddleware:
    """Innermost of our middlewares, so request ids, rate limits and idempotency apply as before.

    `exact` maps a path under one of `prefixes` to its handler ("/vm/available"); `one_segment`
    maps a path under a prefix that ends in one more segment, handed to the handler as its
    parameter ("/inventory" for "/inventory/{user_id}")."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...],
        exact: Mapping[str, FastHandler],
        one_segment: Mapping[str, FastHandler],
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.exact = dict(exact)
        self.one_segment = dict(one_segment)

    def match(self, path: str) -> tuple[FastHandler, str] | None:
        for prefix in self.prefixes:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                break
        else:
            return None
        handler = self.exact.get(rest)
        if handler is not None:
            return handler, ""
        head, _, tail = rest.rpartition("/")
        handler = self.one_segment.get(head)
        return (handler, tail) if handler is not None and tail else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            self.match(scope["path"])
            if scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope.get("root_path")  # the router would match the path without it
            and "fastapi.telemetry" not in scope  # telemetry records the matched route
            else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        handler, parameter = found
        state = scope["app"].state
        runtime: Runtime = state.runtime
        query_string = scope["query_string"]
        try:
            caller = await find_caller(
                state.key_cache, runtime, header(scope, b"x-api-key") or "", scope["path"]
            )
            if caller is None:
                raise InvalidApiKey()
            query = QueryParams(query_string) if query_string else NO_QUERY
            status, body = 200, await handler(runtime, caller, parameter, query)
        except ApiError as error:  # rendered as core.http's handler renders it
            status, body = error.status_code, orjson.dumps(error.body())
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
