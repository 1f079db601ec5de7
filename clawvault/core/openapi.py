"""OpenAPI documentation helpers: the exact error bodies and the common answers of every
route. Handlers keep returning JsonResponse; these only describe them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clawvault.core.schemas import ErrorBody, response_schema
from clawvault.core.validators import UNSAFE_TEXT

ERROR_SCHEMA: dict[str, Any] = response_schema(ErrorBody)


def errors(
    status: int, *messages: str, schema: dict[str, Any] | None = None
) -> dict[int | str, Any]:
    """One documented status with its exact error strings as examples."""
    body = schema or ERROR_SCHEMA
    examples = {f"e{i}": {"value": {"error": m}, "summary": m} for i, m in enumerate(messages)}
    content: dict[str, Any] = {"schema": body}
    if examples:
        content["examples"] = examples
    return {
        status: {
            "description": "; ".join(f"`{m}`" for m in messages) or "Error",
            "content": {"application/json": content},
        }
    }


def ok(schema: dict[str, Any], status: int = 200, description: str = "OK") -> dict[int | str, Any]:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra for a handler that reads its JSON body itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def merge(*parts: dict[int | str, Any]) -> dict[int | str, Any]:
    out: dict[int | str, Any] = {}
    for part in parts:
        for status, answer in part.items():
            if status in out:  # two documents of one status: both bodies are possible
                messages = out[status]["content"]["application/json"].get("examples", {})
                extra = answer["content"]["application/json"].get("examples", {})
                for i, example in enumerate(extra.values(), start=len(messages)):
                    messages[f"e{i}"] = example
                out[status]["description"] += "; " + answer["description"]
            else:
                out[status] = {
                    **answer,
                    "content": {k: dict(v) for k, v in answer["content"].items()},
                }
    return out


RATE_LIMITED = errors(429, "Rate limit exceeded")
COMMON_RESPONSES: dict[int | str, Any] = merge(
    # A query string no route can use (core.request_guard).
    errors(400, UNSAFE_TEXT),
    errors(401, "Invalid API key"),
    RATE_LIMITED,
    errors(500, "An unexpected error occurred"),
)
# Every route that reads a JSON body.
MALFORMED_BODY = errors(
    400, "Malformed JSON body: <parser message>", "Request body must be a JSON object"
)
# Every POST: an invalid Idempotency-Key, a key reused with another body, or one in flight.
IDEMPOTENT_POST = merge(
    errors(400, "Idempotency-Key must be 1 to 255 printable ASCII characters"),
    errors(
        409,
        "Idempotency-Key was already used with a different request body",
        "A request with this Idempotency-Key is still being processed; retry later",
    ),
)

# The operator's routes (admin API, sandbox controls): every failure is an error body.
OPERATOR_ERRORS: dict[int | str, Any] = merge(
    errors(400, "<what is wrong with the input>"),
    errors(401, "Invalid admin token", "Invalid API key"),
    errors(404, "<what was not found>"),
    errors(409, "<why the change is refused>"),
    errors(422, "<why the change is refused>"),
    errors(500, "An unexpected error occurred"),
)


class DocumentedApp(FastAPI):
    """The app, whose OpenAPI leaves out the framework's own 422 `{"detail": [...]}` answer: a
    request FastAPI cannot validate is answered `400 {"error": ...}` (core.http), and every
    error of the API has that shape."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    answer = operation.get("responses", {}).get("422")
                    if answer is not None and "HTTPValidationError" in str(answer):
                        del operation["responses"]["422"]
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            self.openapi_schema = schema
        return self.openapi_schema
