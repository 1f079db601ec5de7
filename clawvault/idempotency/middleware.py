"""Idempotency-Key on any POST: claim, run, store, replay."""

from __future__ import annotations

from clawvault.core.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
    read_body,
    replaying,
    send_json,
)
from clawvault.core.errors import ApiError
from clawvault.core.runtime import IDEMPOTENCY_RECORD, Runtime
from clawvault.db.unit import Unit
from clawvault.idempotency import service
from clawvault.idempotency.errors import IdempotencyKeyInvalid
from clawvault.partners.auth import find_caller

MAX_KEY_LENGTH = 255


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= ch <= "~" for ch in key)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        runtime: Runtime = app.state.runtime
        caller = await find_caller(
            app.state.key_cache, runtime, header(scope, b"x-api-key") or "", scope["path"]
        )
        if caller is None:  # the route answers 401
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            error = IdempotencyKeyInvalid()
            await send_json(send, error.status_code, error.body(), [])
            return
        body = await read_body(receive)
        fingerprint = service.request_fingerprint("POST", scope["path"], body)
        try:
            outcome = await service.claim(runtime, Unit(runtime.db), caller, key, fingerprint)
        except ApiError as error:
            await send_json(send, error.status_code, error.body(), [])
            return
        if isinstance(outcome, service.Replay):
            await send_json(send, outcome.status, outcome.body, [(b"idempotent-replayed", b"true")])
            return
        # The answer is stored before the client sees it, so a retry sent the moment the first
        # answer arrives is already a replay.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        # The request's unit of work writes the record with its effects (core.runtime.get_unit);
        # the claim before it and the answer after it are units of the middleware's own.
        scope.setdefault("state", {})[IDEMPOTENCY_RECORD] = outcome
        try:
            await self.app(scope, replaying(body, receive), hold)
        except BaseException:
            await service.finish(runtime, Unit(runtime.db), outcome, None, b"")
            raise
        status = next((int(m["status"]) for m in held if m["type"] == "http.response.start"), None)
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if not (outcome.stored and status == 200):
            await service.finish(runtime, Unit(runtime.db), outcome, status, answer)
        for message in held:
            await send(message)
