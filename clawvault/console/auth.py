"""Console sessions: a cookie holding an issue time, a random id and an HMAC of both under the
operator token (so changing the token signs everyone out), and a per-session CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Depends, Request

from clawvault.console.errors import ConsoleDisabled, CsrfRefused, SignInRequired, WrongToken
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.core.validators import check_safe_json

COOKIE = "clawvault_console"
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Session:
    session_id: str
    csrf: str


def _sign(token: str, purpose: str, value: str) -> str:
    return hmac.new(token.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def check_token(runtime: Runtime, presented: str) -> None:
    expected = runtime.settings.admin_token
    if not expected:
        raise ConsoleDisabled()
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WrongToken()


def new_cookie(runtime: Runtime, now: float | None = None) -> str:
    issued = str(int(now if now is not None else time.time()))
    body = f"{issued}.{secrets.token_hex(16)}"
    return f"{body}.{_sign(runtime.settings.admin_token, 'session', body)}"


def session_of(runtime: Runtime, cookie: str | None, now: float | None = None) -> Session | None:
    token = runtime.settings.admin_token
    if not token or not cookie or cookie.count(".") != 2:
        return None
    body, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _sign(token, "session", body).encode()):
        return None
    issued, _, session_id = body.partition(".")
    current = now if now is not None else time.time()
    if not issued.isdigit() or not 0 <= current - int(issued) <= SESSION_SECONDS:
        return None
    return Session(session_id, _sign(token, "csrf", session_id))


async def require_session(request: Request, runtime: Runtime = Depends(get_runtime)) -> Session:
    session = session_of(runtime, request.cookies.get(COOKIE))
    if session is None:
        raise SignInRequired()
    request.state.console_session = session
    return session


async def form_data(request: Request) -> dict[str, str]:
    """An urlencoded form body (the console's forms and htmx posts), last value wins."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
    check_safe_json(form)  # what no database stores (NUL, control characters): a 400
    return form


async def require_form(
    request: Request, session: Session = Depends(require_session)
) -> dict[str, str]:
    """The posted form of a signed-in operator, after its CSRF token is checked."""
    form = await form_data(request)
    presented = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(presented.encode(), session.csrf.encode()):
        raise CsrfRefused()
    return form
