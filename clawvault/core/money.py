"""Money is integer cents inside, a JSON number with at most 2 decimals outside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, SQLColumnExpression

BASIS_POINTS = 10_000
# No single amount (a price, a charge) above 10 billion USD: sums of many stay far inside a
# 64-bit integer column on every database.
MAX_CENTS = 10**12


def cents_to_number(cents: int) -> float | int:
    if cents % 100 == 0:
        return cents // 100
    return cents / 100  # IEEE division is correctly rounded: the nearest float, as via Decimal


def number_to_cents(value: float | int | str | Decimal) -> int:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if abs(amount) * 100 > MAX_CENTS:
        raise ValueError(f"more than {MAX_CENTS // 100} USD: {value!r}")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@overload
def apply_basis_points(cents: int, basis_points: int) -> int: ...


@overload
def apply_basis_points(
    cents: SQLColumnExpression[Any], basis_points: SQLColumnExpression[Any] | int
) -> ColumnElement[Any]: ...


def apply_basis_points(cents: Any, basis_points: Any) -> Any:
    """cents × basis_points / 10000, rounded half up, in integers only: of Python integers, or
    of SQL integer expressions (the same rule in a statement that picks its card itself)."""
    return (cents * basis_points * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)


def basis_points_to_fraction(basis_points: int) -> float:
    return basis_points / BASIS_POINTS


def fraction_to_basis_points(value: float | str | Decimal) -> int:
    return int((Decimal(str(value)) * BASIS_POINTS).quantize(Decimal(1), rounding=ROUND_HALF_UP))
