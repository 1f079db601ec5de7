"""X-Request-Id on every answer: the client's own when it sent a sensible one, else a new one.
Also the last guard of "a 500 never leaks a stack trace" for anything the app lets through."""

from __future__ import annotations

import logging
import os

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from clawvault.core.asgi import ASGIApp, Message, Receive, Scope, Send, header, send_json
from clawvault.core.errors import UnexpectedError

log = logging.getLogger("clawvault")


def request_id_from(value: str | None) -> str:
    if value and len(value) <= 200 and all(" " < ch <= "~" for ch in value):
        return value
    return os.urandom(16).hex()  # 32 hex digits, as uuid4().hex, in a sixth of its time


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        started = False

        async def with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except ClientDisconnect:
            # The client left before its request was complete: nobody to answer, nothing ran.
            log.info("client disconnected before the request was complete (request %s)", request_id)
        except HTTPException:
            raise  # a body over the app's limit, read by a middleware: Starlette answers 413
        except Exception as exc:
            if started:
                raise
            log.exception("unexpected error (request %s)", request_id, exc_info=exc)
            error = UnexpectedError()
            await send_json(send, error.status_code, error.body(), [id_header])
