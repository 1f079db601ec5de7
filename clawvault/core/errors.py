"""One base error carrying its HTTP answer; domain errors subclass it in each package."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger("clawvault")


class ApiError(Exception):
    status_code: int = 400
    message: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class InvalidApiKey(ApiError):
    status_code = 401
    message = "Invalid API key"


class UnexpectedError(ApiError):
    status_code = 500
    message = "An unexpected error occurred"


class InvalidJsonBody(ApiError):
    message = "Request body must be a JSON object"


@contextmanager
def unexpected_failures_as(error: type[ApiError]) -> Iterator[None]:
    """A route that names its own 500 string: an unexpected failure inside answers with it.
    (Not a body over the app's size limit: the 413 HTTPException of the read, `capped`.)"""
    try:
        yield
    except (ApiError, ClientDisconnect, HTTPException):
        raise
    except Exception as exc:
        log.exception("unexpected error", exc_info=exc)
        raise error() from exc
