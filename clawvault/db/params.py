"""Bind parameters typed as the columns they feed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam


def typed_params(
    table: Table, prefix: str, columns: Iterable[str]
) -> dict[str, BindParameter[Any]]:
    """One bind parameter per column, named <prefix><column> and typed as the column: a
    parameter in a SELECT list (an INSERT ... SELECT, a data-modifying CTE's VALUES) has no
    column to take its type from, and PostgreSQL would guess text."""
    return {c: bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in columns}
