"""X-Request-Id on every answer: the client's own when it sent a sensible one, else a new one.
Also the app's body limit (CLAWVAULT_MAX_BODY_BYTES), so that its 413 carries the request id and
the API's error shape, and the last guard of "a 500 never leaks a stack trace" for anything the
app lets through."""

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


TOO_LARGE = "Content Too Large"


def capped(receive: Receive, limit: int) -> Receive:
    """`receive`, raising a 413 HTTPException once the body has grown past `limit` bytes (the
    app's handlers answer it where a route reads the body, this middleware where one of ours
    does)."""
    read = 0

    async def receive_capped() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                raise HTTPException(413, TOO_LARGE)
        return message

    return receive_capped


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = 0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        started = False
        if self.max_body_bytes:
            declared = header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await send_json(send, 413, {"error": TOO_LARGE}, [id_header])  # nothing runs
                return
            receive = capped(receive, self.max_body_bytes)  # a chunked body, or a short count

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
        except HTTPException as exc:
            if started or exc.status_code != 413:
                raise
            # A body over the limit, read by one of our middlewares (the fast path, idempotency).
            await send_json(send, 413, {"error": TOO_LARGE}, [id_header])
        except Exception as exc:
            if started:
                raise
            log.exception("unexpected error (request %s)", request_id, exc_info=exc)
            error = UnexpectedError()
            await send_json(send, error.status_code, error.body(), [id_header])
