"""What every catalog operation shares: progress reporting, reports, the solvency check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from clawvault.catalog.domain import solvency_problem
from clawvault.db.conn import Conn
from clawvault.packs.domain import expected_value_cents
from clawvault.packs.repository import PackRepository

BATCH = 5_000


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.rows} rows, {self.created} created, {self.updated} updated,"
            f" {self.unchanged} unchanged"
        )


async def solvency_problems(conn: Conn, pack_ids: Iterable[str]) -> dict[str, str]:
    """For each enabled pack among pack_ids, the solvency guard's refusal, if any, computed
    inside the caller's transaction (so on what it is about to commit)."""
    repo = PackRepository(conn)
    problems: dict[str, str] = {}
    for pack_id in dict.fromkeys(pack_ids):
        pack = await repo.get(pack_id)
        if pack is None or not pack["enable"]:
            continue
        ev = expected_value_cents(await repo.tiers(pack_id), await repo.tier_stock(pack_id))
        label = repr(pack["slug"] or pack_id)
        problem = solvency_problem(label, ev, pack["buyback_bps"], pack["mint_price_cents"])
        if problem is not None:
            problems[pack_id] = problem
    return problems
