"""Opaque keyset cursors and the `limit` parameter of the paginated additions."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from clawvault.core.errors import ApiError

MAX_LIMIT = 1000


class InvalidCursor(ApiError):
    message = "Invalid cursor"


class InvalidLimit(ApiError):
    message = f"limit must be an integer from 1 to {MAX_LIMIT}"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != size:
        raise InvalidCursor()
    return values


def parse_limit(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidLimit() from exc
    if not 1 <= value <= MAX_LIMIT:
        raise InvalidLimit()
    return value
