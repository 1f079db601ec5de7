"""The operator behind /admin/v1: a bearer token from settings, never a partner key."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request

from clawvault.core.errors import ApiError
from clawvault.core.runtime import Runtime, get_runtime


class InvalidAdminToken(ApiError):
    status_code = 401
    message = "Invalid admin token"


class AdminDisabled(ApiError):
    status_code = 401
    message = "The admin API is disabled: set CLAWVAULT_ADMIN_TOKEN"


def presented_token(request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-admin-token", "").strip()


async def require_operator(request: Request, runtime: Runtime = Depends(get_runtime)) -> None:
    expected = runtime.settings.admin_token
    if not expected:
        raise AdminDisabled()
    token = presented_token(request)
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise InvalidAdminToken()
