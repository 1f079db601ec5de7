"""Statements: the partner's ledger entries over a date range, balances, per-day totals."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.money import cents_to_number
from clawvault.core.pagination import InvalidCursor, decode_cursor, encode_cursor, parse_limit
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc, isoformat
from clawvault.db.conn import Conn
from clawvault.db.models import LedgerKind
from clawvault.db.unit import Unit
from clawvault.ledger.errors import InvalidDate
from clawvault.ledger.repository import LedgerRepository
from clawvault.partners.auth import Caller

# The statement's columns: shipping nets its refunds.
TOTAL_OF_KIND = {
    LedgerKind.PULL.value: "pulls",
    LedgerKind.BUYBACK.value: "sellbacks",
    LedgerKind.SHIPPING.value: "shipping",
    LedgerKind.SHIPPING_REFUND.value: "shipping",
}
CSV_BATCH = 1000


def parse_instant(raw: str | None) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidDate() from exc
    return as_utc(parsed)


def decimal_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def entry_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "amount": cents_to_number(row["amount_cents"]),
        "reference": row["reference"],
        "user_id": row["user_id"],
        "created_at": isoformat(row["created_at"]),
    }


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    created_at, entry_id = decode_cursor(cursor, 2)
    try:
        return as_utc(datetime.fromisoformat(str(created_at))), int(entry_id)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor() from exc


def daily_json(rows: Any) -> list[dict[str, Any]]:
    days: dict[str, dict[str, int]] = {}
    for row in rows:
        totals = days.setdefault(
            str(row["day"]), {"pulls": 0, "sellbacks": 0, "shipping": 0, "count": 0}
        )
        totals[TOTAL_OF_KIND.get(row["kind"], "shipping")] += int(row["amount_cents"])
        totals["count"] += int(row["count"])
    return [
        {
            "date": day,
            "pulls": cents_to_number(t["pulls"]),
            "sellbacks": cents_to_number(t["sellbacks"]),
            "shipping": cents_to_number(t["shipping"]),
            "net": cents_to_number(t["pulls"] + t["sellbacks"] + t["shipping"]),
            "entries": t["count"],
        }
        for day, t in sorted(days.items())
    ]


async def statement(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    start_raw: str | None,
    end_raw: str | None,
    limit_raw: str | None,
    cursor: str | None,
) -> dict[str, Any]:
    start, end = parse_instant(start_raw), parse_instant(end_raw)
    limit = parse_limit(limit_raw, 100)
    after = _after(cursor)

    async def read(conn: Conn) -> tuple[Sequence[RowMapping], int, int, Sequence[RowMapping]]:
        repo = LedgerRepository(conn)
        rows = await repo.entries(caller.partner_id, start, end, after, limit + 1)
        balance = await repo.balance_cents(caller.partner_id)
        opening = await repo.sum_before(caller.partner_id, start)
        daily = await repo.daily_totals(caller.partner_id, start, end)
        return rows, balance, opening, daily

    rows, balance, opening, daily = await unit.read(read)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor([as_utc(last["created_at"]).isoformat(), last["id"]])
    days = daily_json(daily)
    period_cents = sum(int(r["amount_cents"]) for r in daily)
    return {
        "currency": "USD",
        "from": isoformat(start),
        "to": isoformat(end),
        "balance": cents_to_number(balance),
        "opening_balance": cents_to_number(opening),
        "closing_balance": cents_to_number(opening + period_cents),
        "daily": days,
        "entries": [entry_json(r) for r in page],
        "next_cursor": next_cursor,
    }


async def statement_csv(
    runtime: Runtime, unit: Unit, caller: Caller, start_raw: str | None, end_raw: str | None
) -> AsyncIterator[str]:
    """Every entry of the range, oldest first, with the running balance: a read of the unit's
    for each batch, as the response streams."""
    start, end = parse_instant(start_raw), parse_instant(end_raw)

    async def opening(conn: Conn) -> int:
        return await LedgerRepository(conn).sum_before(caller.partner_id, start)

    balance = await unit.read(opening)

    async def rows() -> AsyncIterator[str]:
        nonlocal balance
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "created_at", "kind", "amount", "reference", "user_id", "balance"])
        after: tuple[datetime, int] | None = None
        while True:
            batch = await unit.read(_entries_after(caller, start, end, after))
            for row in batch:
                balance += int(row["amount_cents"])
                writer.writerow(
                    [
                        row["id"],
                        isoformat(row["created_at"]),
                        row["kind"],
                        decimal_text(int(row["amount_cents"])),
                        row["reference"],
                        row["user_id"] or "",
                        decimal_text(balance),
                    ]
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(batch) < CSV_BATCH:
                return
            after = (as_utc(batch[-1]["created_at"]), int(batch[-1]["id"]))

    return rows()


def _entries_after(
    caller: Caller, start: datetime | None, end: datetime | None, after: tuple[datetime, int] | None
) -> Callable[[Conn], Awaitable[Sequence[RowMapping]]]:
    """A read of the next CSV_BATCH entries of the range after `after`."""

    async def read(conn: Conn) -> Sequence[RowMapping]:
        return await LedgerRepository(conn).entries(caller.partner_id, start, end, after, CSV_BATCH)

    return read
