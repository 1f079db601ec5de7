"""Cards: the importer (streamed, so a million rows fit: a validating pass, then a writing
pass in the unit's one transaction) and the admin API's card operations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from clawvault.catalog.cards import CARD_FIELDS, CATALOG_COLUMNS, CardSpec, parse_card
from clawvault.catalog.common import (
    BATCH,
    ImportReport,
    NoProgress,
    Progress,
    solvency_problems,
)
from clawvault.catalog.errors import CardNotAvailable, CatalogNotFound, ImportRejected, RowError
from clawvault.catalog.records import Record, as_object
from clawvault.catalog.repository import CatalogRepository
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.models import CATALOG_TABLES, CardStatus
from clawvault.db.unit import Unit
from clawvault.packs.domain import Tier, tier_for_fmv
from clawvault.packs.repository import PackRepository
from clawvault.packs.service import forget_listings, refresh_evs
from clawvault.pricing.domain import PriceQuote
from clawvault.pricing.repository import PriceRepository

DEFAULT_SOURCE = "import"


def _batches(records: Iterable[Record]) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _parse_batch(
    batch: list[Record], pack_ids: dict[str, str]
) -> tuple[list[tuple[int, CardSpec, str]], list[RowError]]:
    parsed: list[tuple[int, CardSpec, str]] = []
    errors: list[RowError] = []
    for row, value in batch:
        record, reasons = as_object(value, CARD_FIELDS)
        spec = None
        if record is not None:
            spec, reasons = parse_card(record, DEFAULT_SOURCE)
        if spec is not None:
            pack_id = pack_ids.get(spec.pack_ref)
            if pack_id is None:
                reasons.append(f"pack_id {spec.pack_ref!r} is not a known pack id or slug")
            else:
                parsed.append((row, spec, pack_id))
        errors += [RowError(row, reason) for reason in reasons]
    return parsed, errors


def _move_problem(place: tuple[str, str] | None, pack_id: str) -> str | None:
    """Why a known card (its pack and status) cannot go to pack_id, or None."""
    if place is None or place[0] == pack_id or place[1] == CardStatus.AVAILABLE.value:
        return None
    return (
        f"card is {place[1]}, not in its pool: it cannot move to another pack"
        " until it is back in a pool"
    )


async def _pack_ids(conn: Conn) -> dict[str, str]:
    refs = await CatalogRepository(conn).pack_refs()
    return {r["id"]: r["id"] for r in refs} | {r["slug"]: r["id"] for r in refs if r["slug"]}


async def validate_cards(
    runtime: Runtime, unit: Unit, records: Iterable[Record], progress: Progress
) -> tuple[int, list[RowError]]:
    async def work(conn: Conn) -> tuple[int, list[RowError]]:
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        rows = 0
        pack_ids = await _pack_ids(conn)
        catalog = CatalogRepository(conn)
        for batch in _batches(records):
            rows += len(batch)
            parsed, batch_errors = _parse_batch(batch, pack_ids)
            errors += batch_errors
            places = await catalog.card_places(spec.id for _r, spec, _p in parsed)
            for row, spec, pack_id in parsed:
                if spec.id in seen:
                    errors.append(
                        RowError(row, f"id {spec.id!r} is already in row {seen[spec.id]}")
                    )
                    continue
                seen[spec.id] = row
                problem = _move_problem(places.get(spec.id), pack_id)
                if problem:
                    errors.append(RowError(row, problem))
            progress.advance(len(batch))
        return rows, sorted(errors, key=lambda e: e.row)

    return await unit.read(work)


async def import_cards(
    runtime: Runtime,
    unit: Unit,
    records: Iterable[Record],
    progress: Progress | None = None,
    total: int = 0,
) -> ImportReport:
    """Validates the whole file, then adds new cards to their packs' pools and updates the
    catalog data of known ones (by id), and the EV of the packs it touched, in one transaction;
    any bad row: nothing is applied. A known card's FMV changes only through a newer
    fmv_as_of (prices move through the oracle)."""
    progress = progress or NoProgress()
    progress.start("validating cards", total)
    rows, errors = await validate_cards(runtime, unit, records, progress)
    if errors:
        raise ImportRejected(errors)
    report = ImportReport("cards", rows=rows)
    now = runtime.clock()
    progress.start("writing cards", rows)

    async def work(conn: Conn) -> None:
        touched: set[str] = set()
        pack_ids = await _pack_ids(conn)
        tiers = await PackRepository(conn).tiers_by_pack()
        for batch in _batches(records):
            parsed, batch_errors = _parse_batch(batch, pack_ids)
            if batch_errors:  # the file changed since it was validated
                raise ImportRejected(batch_errors)
            await _write_batch(runtime, conn, parsed, tiers, now, report, touched)
            progress.advance(len(batch))
        problems = await solvency_problems(conn, touched)
        if problems:
            raise ImportRejected([RowError(0, problem) for problem in problems.values()])
        await refresh_evs(conn, touched, runtime.clock())

    await unit.write(work, attempts=1)  # one attempt: the report counts as it writes
    await runtime.db.refresh_planner_statistics(*CATALOG_TABLES)
    forget_listings(runtime)
    return report


async def _write_batch(
    runtime: Runtime,
    conn: Conn,
    parsed: list[tuple[int, CardSpec, str]],
    tiers: dict[str, list[Tier]],
    now: datetime,
    report: ImportReport,
    touched: set[str],
) -> None:
    catalog, prices = CatalogRepository(conn), PriceRepository(conn)
    places = await catalog.card_places(spec.id for _r, spec, _p in parsed)
    existing = await catalog.existing_cards(places) if places else {}
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    new_prices: list[PriceQuote] = []
    newer_prices: list[PriceQuote] = []
    for row, spec, pack_id in parsed:
        values = spec.catalog_values(pack_id)
        current = existing.get(spec.id)
        if current is None:
            as_of = spec.fmv_as_of or now
            new_rows.append(_new_card(runtime, spec, values, tiers.get(pack_id, []), as_of, now))
            new_prices.append(PriceQuote(spec.id, spec.fmv_cents, spec.fmv_source, as_of))
            report.created += 1
            touched.add(pack_id)
            continue
        problem = _move_problem((current["pack_id"], current["status"]), pack_id)
        if problem:
            raise ImportRejected([RowError(row, problem)])
        different = any(current[name] != values[name] for name in CATALOG_COLUMNS)
        newer = spec.fmv_as_of is not None and spec.fmv_as_of > as_utc(current["fmv_as_of"])
        if different:
            changed_rows.append({"id": spec.id, **values})
            touched.update((pack_id, current["pack_id"]))
        if newer:
            assert spec.fmv_as_of is not None
            newer_prices.append(
                PriceQuote(spec.id, spec.fmv_cents, spec.fmv_source, spec.fmv_as_of)
            )
            touched.add(pack_id)
        if different or newer:
            report.updated += 1
        else:
            report.unchanged += 1
    await catalog.insert_cards(new_rows)
    await catalog.update_catalog(changed_rows, now)
    await prices.set_current(newer_prices, now)
    await prices.record_first_prices(new_prices, now)
    await prices.record_history(newer_prices, now)


def _new_card(
    runtime: Runtime,
    spec: CardSpec,
    values: dict[str, Any],
    tiers: list[Tier],
    as_of: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": spec.id,
        **values,
        "fmv_cents": spec.fmv_cents,
        "fmv_source": spec.fmv_source,
        "fmv_as_of": as_of,
        "tier_id": tier_for_fmv(tiers, spec.fmv_cents),
        "pool_key": runtime.randomness.pool_key(),
        "status": CardStatus.AVAILABLE.value,
        "updated_at": now,
    }


async def move_card(runtime: Runtime, unit: Unit, card_id: str, pack_ref: str) -> dict[str, Any]:
    """Moves a card that sits in a pool into another pack's pool (solvency guard applies)."""
    now = runtime.clock()

    async def work(conn: Conn) -> dict[str, Any]:
        catalog = CatalogRepository(conn)
        pack_id = (await _pack_ids(conn)).get(pack_ref)
        if pack_id is None:
            raise CatalogNotFound("Pack not found")
        card = await catalog.card(card_id)
        if card is None:
            raise CatalogNotFound("Card not found")
        if not await catalog.move_available_card(card_id, pack_id, now):
            raise CardNotAvailable(f"Card is {card['status']}: only a card in a pool can move")
        problems = await solvency_problems(conn, [pack_id])
        if problems:
            raise ImportRejected([RowError(1, problems[pack_id])])
        await refresh_evs(conn, {card["pack_id"], pack_id}, runtime.clock())
        return {"id": card_id, "pack_id": pack_id, "from_pack_id": card["pack_id"]}

    moved = await unit.write(work, attempts=1)
    forget_listings(runtime)
    return moved


async def retire_card(runtime: Runtime, unit: Unit, card_id: str) -> dict[str, Any]:
    """Takes a card out of its pool for good (it must be in the pool, not with a user)."""
    now = runtime.clock()

    async def work(conn: Conn) -> bool:
        """Whether the card left its pool now (False: it had already retired)."""
        catalog = CatalogRepository(conn)
        card = await catalog.card(card_id)
        if card is None:
            raise CatalogNotFound("Card not found")
        if card["status"] == CardStatus.RETIRED.value:
            return False
        if not await catalog.retire_available_card(card_id, now):
            raise CardNotAvailable(f"Card is {card['status']}: only a card in a pool can retire")
        await refresh_evs(conn, [card["pack_id"]], runtime.clock())
        return True

    if await unit.write(work, attempts=1):
        forget_listings(runtime)
    return {"id": card_id, "status": CardStatus.RETIRED.value}
