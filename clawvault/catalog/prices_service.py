"""Prices from a file or an admin push: validated whole (every card must exist) into quotes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from clawvault.catalog.common import BATCH, NoProgress, Progress
from clawvault.catalog.errors import ImportRejected, RowError
from clawvault.catalog.prices import PRICE_FIELDS, parse_price
from clawvault.catalog.records import Record, as_object
from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.pricing.domain import PriceQuote
from clawvault.pricing.repository import PriceRepository


def parse_prices(
    records: Iterable[Record], default_source: str, now: datetime
) -> tuple[list[tuple[int, PriceQuote]], list[RowError]]:
    quotes: list[tuple[int, PriceQuote]] = []
    errors: list[RowError] = []
    for row, value in records:
        record, reasons = as_object(value, PRICE_FIELDS)
        quote = None
        if record is not None:
            quote, reasons = parse_price(record, default_source, now)
        errors += [RowError(row, reason) for reason in reasons]
        if quote is not None:
            quotes.append((row, quote))
    return quotes, errors


async def validate_prices(
    runtime: Runtime,
    unit: Unit,
    records: Iterable[Record],
    default_source: str,
    progress: Progress | None = None,
) -> list[PriceQuote]:
    """Every price of the file, or ImportRejected listing every bad row."""
    progress = progress or NoProgress()
    quotes, errors = parse_prices(records, default_source, runtime.clock())

    async def work(conn: Conn) -> None:
        seen: dict[tuple[str, str, datetime], int] = {}
        prices = PriceRepository(conn)
        for start in range(0, len(quotes), BATCH):
            batch = quotes[start : start + BATCH]
            known = await prices.cards(q.card_id for _r, q in batch)
            for row, quote in batch:
                key = (quote.card_id, quote.source, quote.as_of)
                if quote.card_id not in known:
                    errors.append(RowError(row, f"card_id {quote.card_id!r} is not a known card"))
                elif key in seen:
                    errors.append(
                        RowError(row, f"the same card, source and as_of are in row {seen[key]}")
                    )
                seen.setdefault(key, row)
            progress.advance(len(batch))

    await unit.read(work)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    return [quote for _row, quote in quotes]
