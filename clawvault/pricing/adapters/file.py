"""Prices from a CSV, JSON or JSON Lines file: card_id, fmv, source, as_of. Strict: one bad
row and the whole file is refused."""

from __future__ import annotations

from pathlib import Path

from clawvault.catalog.common import Progress
from clawvault.catalog.prices import PRICE_FIELDS
from clawvault.catalog.prices_service import validate_prices
from clawvault.catalog.records import FileRecords
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.pricing.adapters.base import Fetched


class FilePriceSource:
    def __init__(
        self, path: Path, default_source: str = "file", progress: Progress | None = None
    ) -> None:
        self.name = f"file:{path.name}"
        self.records = FileRecords(path, "prices", PRICE_FIELDS)
        self.default_source = default_source
        self.progress = progress

    def count(self) -> int:
        return self.records.count()

    async def fetch(self, runtime: Runtime, unit: Unit, turn: int) -> Fetched:
        return Fetched(
            await validate_prices(runtime, unit, self.records, self.default_source, self.progress)
        )
