"""The one interface of every price source the oracle reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from clawvault.catalog.errors import RowError
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.pricing.domain import PriceQuote


@dataclass(frozen=True)
class Fetched:
    quotes: Sequence[PriceQuote]
    # Entries a lenient source (a feed) skipped, with their reasons.
    rejected: Sequence[RowError] = field(default_factory=tuple)


class PriceSource(Protocol):
    name: str

    async def fetch(self, runtime: Runtime, unit: Unit, turn: int) -> Fetched:
        """The prices this source has now (what it reads of the database, it reads in `unit`);
        `turn` numbers scheduled runs (1, 2, ...)."""
        ...
