"""Refuses, before any route runs, the parts of a request no route can use safely: a query
string with NUL, control characters or an oversized value (400), and a path holding a control
character outside the Partner API (404; the Partner API's routes answer their own 404, the
contract's "User not found", "Card not found", ...)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from clawvault.core.asgi import ASGIApp, Receive, Scope, Send, send_json
from clawvault.core.http import NOT_FOUND
from clawvault.core.validators import UNSAFE_TEXT, lookup_key, safe_text


def safe_query(query_string: bytes) -> bool:
    if not query_string:
        return True
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return all(safe_text(key) and safe_text(value) for key, value in pairs)


def safe_path(path: str) -> bool:
    return all(lookup_key(segment) is not None for segment in path.split("/") if segment)


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, partner_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.partner_prefixes = partner_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if not safe_query(scope.get("query_string", b"")):
                await send_json(send, 400, {"error": UNSAFE_TEXT}, [])
                return
            path: str = scope["path"]
            if not path.startswith(self.partner_prefixes) and not safe_path(path):
                await send_json(send, 404, {"error": NOT_FOUND}, [])
                return
        await self.app(scope, receive, send)
