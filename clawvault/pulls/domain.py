"""Pure rules of a pull request."""

from __future__ import annotations

from typing import Any

from clawvault.core.errors import ApiError
from clawvault.core.validators import user_id_candidate
from clawvault.pulls.errors import AmountNotInteger, AmountNotPositive


def parse_amount(value: Any) -> int | None:
    """A positive integer (an integral number or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def parse_user_id(value: Any) -> str | None:
    return user_id_candidate(value)


def amount_refusal(value: Any) -> ApiError:
    """The refusal of an amount parse_amount did not take: "greater than 0" is true of a missing,
    zero or negative integer amount; anything else (1.5, "x", true, an object) is no integer."""
    if value is None or (
        not isinstance(value, bool) and isinstance(value, int | float) and value <= 0
    ):
        return AmountNotPositive()
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return AmountNotPositive()
    return AmountNotInteger()
