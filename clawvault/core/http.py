"""HTTP plumbing shared by every router: orjson responses, JSON bodies, error rendering."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from clawvault.core.errors import ApiError, InvalidJsonBody, UnexpectedError
from clawvault.core.validators import check_safe_json

log = logging.getLogger("clawvault")

# An unmatched route or a path parameter no route accepts: the framework's 404, in the API's
# error shape.
NOT_FOUND = "Not Found"


class JsonResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def json_object_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object whose every string and number is safe for the
    databases (core.validators); anything else is a 400 with a clear message. For routes with
    no schema of their own (a schema checks its fields itself: `raw_json_object_body`)."""
    body = json_object(await request.body())
    check_safe_json(body)
    return body


async def raw_json_object_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, for a route that validates it into its schema."""
    return json_object(await request.body())


def json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidJsonBody(f"Malformed JSON body: {exc.args[0]}") from exc
    if not isinstance(data, dict):
        raise InvalidJsonBody()
    return data


def error_response(error: ApiError) -> Response:
    return JsonResponse(error.body(), status_code=error.status_code)


def http_error_answer(exc: StarletteHTTPException) -> tuple[int, dict[str, Any]]:
    if exc.status_code == 404:
        return 404, {"error": NOT_FOUND}
    if exc.status_code == 405:
        return 405, {"error": "Method Not Allowed"}
    return exc.status_code, {"error": str(exc.detail)}


def client_gone_answer() -> tuple[int, dict[str, Any]]:
    # Nobody reads this answer; the request ran no further than reading its body.
    log.info("client disconnected before the request body was complete")
    return 400, {"error": "Request body incomplete"}


def handled_error_answer(exc: Exception) -> tuple[int, dict[str, Any]] | None:
    """The status and body the handlers below give `exc`; None for what they leave to the
    server's last resort (for core.fastpath, which answers outside FastAPI's handlers)."""
    if isinstance(exc, ApiError):
        return exc.status_code, exc.body()
    if isinstance(exc, StarletteHTTPException):
        return http_error_answer(exc)
    if isinstance(exc, ClientDisconnect):
        return client_gone_answer()
    return None


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status, body = http_error_answer(exc)
        return JsonResponse(body, status_code=status)

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"Invalid request: {where} {first.get('msg', '')}".strip()
        return JsonResponse({"error": message}, status_code=400)

    async def client_gone(_request: Request, exc: Exception) -> Response:
        status, body = client_gone_answer()
        return JsonResponse(body, status_code=status)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response(UnexpectedError())

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ClientDisconnect, client_gone)
    app.add_exception_handler(Exception, unexpected)
