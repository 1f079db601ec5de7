"""Field parsers shared by every catalog record (CSV cells are strings, JSON values are typed):
each returns the value or raises FieldError with the reason shown to the operator."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from clawvault.core.money import BASIS_POINTS, MAX_CENTS

COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
TRUE = {"true", "1", "yes", "y", "on"}
FALSE = {"false", "0", "no", "n", "off"}


class FieldError(ValueError):
    pass


def checked(reasons: list[str], check: Callable[[], Any]) -> Any:
    """The value of one field check, or None with its reason added to `reasons`."""
    try:
        return check()
    except FieldError as exc:
        reasons.append(str(exc))
        return None


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(
    record: dict[str, Any], name: str, *, max_length: int, required: bool = True
) -> str | None:
    value = record.get(name)
    if is_blank(value):
        if required:
            raise FieldError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f"{name} must be a string")
    value = str(value).strip()
    if len(value) > max_length:
        raise FieldError(f"{name} is longer than {max_length} characters")
    return value


def required_text(record: dict[str, Any], name: str, *, max_length: int) -> str:
    value = text(record, name, max_length=max_length)
    assert value is not None
    return value


def _decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise FieldError(f"{name} must be a number")
    try:
        number = Decimal(str(value).strip().removeprefix("$"))
    except InvalidOperation as exc:
        raise FieldError(f"{name} must be a number, not {value!r}") from exc
    if not number.is_finite():
        raise FieldError(f"{name} must be a finite number")
    return number


def money_cents(
    record: dict[str, Any], name: str, *, minimum_cents: int = 0, required: bool = True
) -> int | None:
    """USD with at most 2 decimals, as integer cents."""
    value = record.get(name)
    if is_blank(value):
        if required:
            raise FieldError(f"{name} is required")
        return None
    number = _decimal(name, value)
    cents = number * 100
    if cents != cents.to_integral_value():
        raise FieldError(f"{name} has more than 2 decimals: {value!r}")
    if cents < minimum_cents:
        raise FieldError(f"{name} must be at least {Decimal(minimum_cents) / 100}")
    if cents > MAX_CENTS:
        raise FieldError(f"{name} must be at most {MAX_CENTS // 100}")
    return int(cents)


def fraction_bps(record: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    """A fraction in (0, 1] (e.g. 0.85), as basis points."""
    value = record.get(name)
    if is_blank(value):
        if required:
            raise FieldError(f"{name} is required")
        return None
    number = _decimal(name, value)
    if not 0 < number <= 1:
        raise FieldError(f"{name} must be a fraction in (0, 1], e.g. 0.85")
    bps = number * BASIS_POINTS
    if bps != bps.to_integral_value():
        raise FieldError(f"{name} has more precision than a basis point")
    return int(bps)


def number(
    record: dict[str, Any], name: str, *, minimum: float | None = None, required: bool = True
) -> float | None:
    value = record.get(name)
    if is_blank(value):
        if required:
            raise FieldError(f"{name} is required")
        return None
    result = float(_decimal(name, value))
    if minimum is not None and result < minimum:
        raise FieldError(f"{name} must be at least {minimum:g}")
    return result


def integer(
    record: dict[str, Any], name: str, *, minimum: int, maximum: int, required: bool = True
) -> int | None:
    value = record.get(name)
    if is_blank(value):
        if required:
            raise FieldError(f"{name} is required")
        return None
    number = _decimal(name, value)
    if number != number.to_integral_value():
        raise FieldError(f"{name} must be a whole number")
    result = int(number)
    if not minimum <= result <= maximum:
        raise FieldError(f"{name} must be between {minimum} and {maximum}")
    return result


def boolean(record: dict[str, Any], name: str, *, default: bool) -> bool:
    value = record.get(name)
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise FieldError(f"{name} must be true or false")


def timestamp(record: dict[str, Any], name: str) -> datetime | None:
    """ISO 8601; a time without a zone is UTC."""
    value = record.get(name)
    if is_blank(value):
        return None
    if not isinstance(value, str):
        raise FieldError(f"{name} must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise FieldError(f"{name} is not an ISO 8601 timestamp: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def string_list(record: dict[str, Any], name: str) -> list[str]:
    """A JSON list of strings, or in CSV a `;`-separated cell."""
    value = record.get(name)
    if is_blank(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise FieldError(f"{name} must be a list of strings")


def json_value(record: dict[str, Any], name: str) -> Any:
    """A JSON value, or in CSV a cell holding JSON text."""
    value = record.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise FieldError(f"{name} is not valid JSON") from exc
    return value


def color(value: Any, name: str) -> str:
    if not isinstance(value, str) or not COLOR.match(value.strip()):
        raise FieldError(f"{name} must be a colour like #A1B2C3")
    return value.strip().upper()
