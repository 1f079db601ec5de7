"""`clawvault packs import`, `cards import`, `prices import`, `prices stale`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from clawvault.catalog.common import ImportReport
from clawvault.catalog.errors import ImportRejected
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit

T = TypeVar("T")
Runner = Callable[[Callable[[Runtime], Awaitable[T]]], T]
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class BarProgress:
    """A click progress bar per phase, on stderr (stdout stays for results)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, label: str, total: int) -> None:
        self.close()
        self.bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        self.bar.__enter__()

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _run_import(runner: Runner[Any], work: Callable[[Runtime, BarProgress], Awaitable[Any]]) -> Any:
    from clawvault.db import migrate
    from clawvault.settings import get_settings

    migrate.upgrade(get_settings().database_url)
    progress = BarProgress()

    async def run(runtime: Runtime) -> Any:
        try:
            return await work(runtime, progress)
        finally:
            progress.close()

    try:
        return runner(run)
    except click.ClickException as exc:
        rejected = exc.__cause__
        if isinstance(rejected, ImportRejected):
            for error in rejected.errors:
                click.echo(str(error), err=True)
        raise


def register(main: click.Group, runner: Runner[Any]) -> None:
    @main.group()
    def packs() -> None:
        """Packs (claw machines) and their tiers."""

    @packs.command("import")
    @click.argument("file", type=FILE)
    def packs_import(file: Path) -> None:
        """Create or update packs from a CSV, JSON or JSON Lines FILE (all rows or none)."""
        from clawvault.catalog.packs import PACK_FIELDS
        from clawvault.catalog.packs_service import import_packs
        from clawvault.catalog.records import FileRecords

        async def work(runtime: Runtime, bar: BarProgress) -> ImportReport:
            records = list(FileRecords(file, "packs", PACK_FIELDS))
            return await import_packs(runtime, Unit(runtime.db), records, bar)

        report: ImportReport = _run_import(runner, work)
        click.echo(report.summary())

    @main.group()
    def cards() -> None:
        """Cards in the packs' pools."""

    @cards.command("import")
    @click.argument("file", type=FILE)
    def cards_import(file: Path) -> None:
        """Add or update cards from a CSV, JSON or JSON Lines FILE (all rows or none)."""
        from clawvault.catalog.cards import CARD_FIELDS
        from clawvault.catalog.cards_service import import_cards
        from clawvault.catalog.records import FileRecords

        async def work(runtime: Runtime, bar: BarProgress) -> ImportReport:
            records = FileRecords(file, "cards", CARD_FIELDS)
            return await import_cards(runtime, Unit(runtime.db), records, bar, records.count())

        report: ImportReport = _run_import(runner, work)
        click.echo(report.summary())

    @main.group()
    def prices() -> None:
        """Card prices (the pricing oracle)."""

    @prices.command("import")
    @click.argument("file", type=FILE)
    @click.option("--source", default="file", show_default=True, help="Source of rows without one.")
    def prices_import(file: Path, source: str) -> None:
        """Apply prices from a CSV, JSON or JSON Lines FILE (all rows or none)."""
        from clawvault.pricing.adapters.file import FilePriceSource
        from clawvault.pricing.service import refresh_from

        async def work(runtime: Runtime, bar: BarProgress) -> Any:
            price_file = FilePriceSource(file, source, bar)
            bar.start("validating prices", price_file.count())
            return await refresh_from(runtime, Unit(runtime.db), price_file, progress=bar)

        report = _run_import(runner, work)
        click.echo(report.summary())
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)

    @prices.command("stale")
    @click.option("--limit", default=100, show_default=True)
    def prices_stale(limit: int) -> None:
        """List cards whose price is too old to settle a sellback (JSON)."""
        from clawvault.pricing.service import stale_prices

        result = runner(lambda rt: stale_prices(rt, Unit(rt.db), limit))
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
