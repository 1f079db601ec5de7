"""The rules every string from a request meets before it reaches a database, the same on SQLite
and PostgreSQL (docs/identifiers.md states them for partners).

PostgreSQL refuses NUL in text and lone surrogates anywhere, and a b-tree index refuses a key
over ~2,700 bytes; SQLite takes all of them. So each string is checked here, at the edge, and a
request that fails is refused (400 for a body, 404 for a path) before anything is written."""

from __future__ import annotations

import re
from typing import Any

from clawvault.core.errors import ApiError

# user_id: any text a path segment can carry once percent-encoded (so every accepted id can be
# read back as /inventory/{user_id}): no "/" (decoded before routing), no control character, not
# "." or ".." (clients resolve those segments away); at most 128 characters (512 bytes of UTF-8,
# well inside PostgreSQL's index limit). Blank is "user_id is required".
USER_ID_MAX = 128
USER_ID = re.compile(r"[^/\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,128}")
USER_ID_PATTERN = r"^[^/\u0000-\u001f\u007f-\u009f]{1,128}$"
USER_ID_RULE = (
    f'user_id must be 1 to {USER_ID_MAX} characters, without "/" or control characters, '
    "and not only dots"
)

# A key to look something up by (item, session, quote, order, pack ids): what cannot be stored
# cannot be found.
LOOKUP_KEY_MAX = 512
# Free text of an operator's or a partner's body (names, notes, address lines): generous, but
# never a string a database index or a log line chokes on.
TEXT_MAX = 10_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_OR_WHITESPACE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")

UNSAFE_TEXT = (
    f"Strings in a request must be at most {TEXT_MAX} characters, "
    "without NUL or other control characters"
)


class UnsafeText(ApiError):
    message = UNSAFE_TEXT


def has_surrogate(value: str) -> bool:
    return SURROGATE.search(value) is not None


def is_user_id(value: str) -> bool:
    return USER_ID.fullmatch(value) is not None and value.strip(".") != ""


def user_id_candidate(value: Any) -> str | None:
    """The user_id as given (an integer becomes its digits); None when missing or blank."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def lookup_key(value: Any) -> str | None:
    """`value` when it is a string that could be stored as a key; None for anything else."""
    if not isinstance(value, str) or not 0 < len(value) <= LOOKUP_KEY_MAX:
        return None
    if CONTROL_OR_WHITESPACE_CONTROL.search(value) or has_surrogate(value):
        return None
    return value


def path_key(value: str, not_found: type[ApiError]) -> str:
    """A path parameter used as a lookup key; `not_found` (the route's 404) when it cannot be."""
    key = lookup_key(value)
    if key is None:
        raise not_found()
    return key


def readable_user_id(value: str, not_found: type[ApiError]) -> str:
    """A user_id in a path that only reads: any text without control characters, up to
    TEXT_MAX characters, so that ids stored before the user_id rule (SQLite took thousands of
    characters) stay readable; else the route's 404."""
    if (
        not value
        or len(value) > TEXT_MAX
        or CONTROL_OR_WHITESPACE_CONTROL.search(value)
        or has_surrogate(value)
    ):
        raise not_found()
    return value


def writable_user_id(value: str, not_found: type[ApiError]) -> str:
    """A user_id in a path of a route that may write for the user (a fairness seed): the
    user_id rule; else the route's 404."""
    if not is_user_id(value):
        raise not_found()
    return value


def safe_text(value: str, max_chars: int = TEXT_MAX) -> bool:
    return len(value) <= max_chars and not CONTROL.search(value) and not has_surrogate(value)


INT64 = 2**63
UNSAFE_NUMBER = "Integers in a request must fit in 64 bits"


def check_safe_json(data: Any, depth: int = 0) -> None:
    """Every string (keys included) of a parsed JSON body is safe text and every integer fits a
    database's 64 bits; else UnsafeText."""
    if depth > 32:
        raise UnsafeText("Request body is nested too deeply")
    if isinstance(data, str):
        if not safe_text(data):
            raise UnsafeText()
    elif isinstance(data, bool):
        return
    elif isinstance(data, int):
        if not -INT64 <= data < INT64:
            raise UnsafeText(UNSAFE_NUMBER)
    elif isinstance(data, dict):
        for key, value in data.items():
            check_safe_json(key, depth + 1)
            check_safe_json(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            check_safe_json(value, depth + 1)
