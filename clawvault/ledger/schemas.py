"""Answer schema of the statement route."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from clawvault.core.schemas import ResponseBody


class Entry(ResponseBody):
    id: int
    kind: Literal["pull", "buyback", "shipping", "shipping_refund"]
    amount: float
    reference: str
    user_id: str | None
    created_at: str


class Day(ResponseBody):
    date: str
    pulls: float
    sellbacks: float
    shipping: float
    net: float
    entries: int


class Statement(ResponseBody):
    currency: str
    start: str | None = Field(alias="from")
    end: str | None = Field(alias="to")
    balance: float
    opening_balance: float
    closing_balance: float
    daily: list[Day]
    entries: list[Entry]
    next_cursor: str | None
