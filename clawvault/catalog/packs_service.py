"""Packs and their tiers: the importer and the admin API's pack operations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clawvault.catalog import fields as f
from clawvault.catalog.common import ImportReport, NoProgress, Progress, solvency_problems
from clawvault.catalog.errors import CatalogNotFound, ImportRejected, RowError, SolvencyRefused
from clawvault.catalog.packs import PACK_FIELDS, PackSpec, pack_record, parse_pack, parse_tiers
from clawvault.catalog.records import Record, as_object
from clawvault.catalog.repository import CatalogRepository
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.models import CATALOG_TABLES
from clawvault.db.unit import Unit
from clawvault.packs.repository import PackRepository
from clawvault.packs.service import forget_listings, refresh_evs


def parse_packs(
    records: Iterable[Record], default_window_days: float
) -> tuple[list[tuple[int, PackSpec]], list[RowError]]:
    specs: list[tuple[int, PackSpec]] = []
    errors: list[RowError] = []
    first_row: dict[tuple[str, str], int] = {}
    for row, value in records:
        record, reasons = as_object(value, PACK_FIELDS)
        spec = None
        if record is not None:
            spec, reasons = parse_pack(record, default_window_days)
        if spec is not None:
            for key in (("id", spec.id), ("slug", spec.slug or "")):
                if key[1] and key in first_row:
                    reasons.append(f"{key[0]} {key[1]!r} is already in row {first_row[key]}")
                first_row.setdefault(key, row)
        errors += [RowError(row, reason) for reason in reasons]
        if spec is not None and not reasons:
            specs.append((row, spec))
    return specs, errors


async def import_packs(
    runtime: Runtime, unit: Unit, records: Iterable[Record], progress: Progress | None = None
) -> ImportReport:
    """Validates every pack, then writes them all and the EV of those that changed in one
    transaction, or nothing."""
    progress = progress or NoProgress()
    specs, errors = parse_packs(records, runtime.settings.buyback_window_days)
    report = ImportReport("packs", rows=len(specs) + len({e.row for e in errors}))
    if errors:
        raise ImportRejected(errors)
    progress.start("writing packs", len(specs))
    now = runtime.clock()

    async def work(conn: Conn) -> None:
        catalog, packs = CatalogRepository(conn), PackRepository(conn)
        slugs = {r["slug"]: r["id"] for r in await catalog.pack_refs() if r["slug"]}
        for row, spec in specs:
            if spec.slug and slugs.get(spec.slug, spec.id) != spec.id:
                errors.append(RowError(row, f"slug {spec.slug!r} belongs to another pack"))
        if errors:
            raise ImportRejected(errors)
        changed: list[str] = []
        for _row, spec in specs:
            outcome = await _write_pack(catalog, packs, spec, now)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome != "unchanged":
                changed.append(spec.id)
            progress.advance(1)
        problems = await solvency_problems(conn, [s.id for _r, s in specs])
        if problems:
            raise ImportRejected(
                [RowError(row, problems[s.id]) for row, s in specs if s.id in problems]
            )
        await refresh_evs(conn, changed, runtime.clock())

    await unit.write(work, attempts=1)  # one attempt: the report counts as it writes
    await runtime.db.refresh_planner_statistics(*CATALOG_TABLES)
    forget_listings(runtime)
    return report


async def _write_pack(
    catalog: CatalogRepository, packs: PackRepository, spec: PackSpec, now: Any
) -> str:
    existing = await packs.get(spec.id)
    if existing is None:
        await catalog.add_pack(spec.pack_values(), now)
        await catalog.replace_tiers(spec.id, spec.tiers)
        return "created"
    values = spec.pack_values()
    same_values = all(existing[key] == value for key, value in values.items())
    same_tiers = await packs.tiers(spec.id) == sorted(spec.tiers, key=lambda t: t.tier_id)
    if same_values and same_tiers:
        return "unchanged"
    if not same_values:
        await catalog.update_pack(values)
    if not same_tiers:
        await catalog.replace_tiers(spec.id, spec.tiers)
        await catalog.retier_pack(spec.id, now)
    return "updated"


async def _pack_record(conn: Conn, pack_id: str) -> dict[str, Any]:
    packs = PackRepository(conn)
    pack = await packs.get(pack_id)
    if pack is None:
        raise CatalogNotFound("Pack not found")
    return {
        **pack_record(pack, await packs.tiers(pack_id)),
        "ev": cents_to_number(pack["ev_cents"]),
        "min_ev": cents_to_number(pack["min_ev_cents"]),
        "max_ev": cents_to_number(pack["max_ev_cents"]),
        "ev_updated_at": isoformat(pack["ev_updated_at"]),
    }


async def get_pack_record(runtime: Runtime, unit: Unit, pack_id: str) -> dict[str, Any]:
    async def work(conn: Conn) -> dict[str, Any]:
        return await _pack_record(conn, pack_id)

    return await unit.read(work)


async def change_pack(
    runtime: Runtime, unit: Unit, pack_id: str, changes: dict[str, Any]
) -> ImportReport:
    """Applies some fields of a pack (the rest kept), with the importer's validation."""
    unknown = sorted(set(changes) - PACK_FIELDS)
    if unknown:
        raise ImportRejected([RowError(1, f"unknown field(s) {', '.join(map(repr, unknown))}")])
    if changes.get("id", pack_id) != pack_id:
        raise ImportRejected([RowError(1, "id cannot change")])
    current = await get_pack_record(runtime, unit, pack_id)
    merged = {key: current[key] for key in PACK_FIELDS} | changes
    return await import_packs(runtime, unit, [(1, merged)])


async def set_tiers(runtime: Runtime, unit: Unit, pack_id: str, tiers: Any) -> ImportReport:
    try:
        parse_tiers(tiers)
    except f.FieldError as exc:
        raise ImportRejected([RowError(1, str(exc))]) from exc
    return await change_pack(runtime, unit, pack_id, {"tiers": tiers})


async def set_enabled(runtime: Runtime, unit: Unit, pack_id: str, enable: bool) -> None:
    """Enables or disables a pack; enabling passes the solvency guard first."""

    async def work(conn: Conn) -> None:
        catalog = CatalogRepository(conn)
        if not await catalog.set_enable(pack_id, enable):
            raise CatalogNotFound("Pack not found")
        problems = await solvency_problems(conn, [pack_id]) if enable else {}
        if problems:
            raise SolvencyRefused(problems[pack_id])

    await unit.write(work, attempts=1)
    forget_listings(runtime)


async def list_pack_records(runtime: Runtime, unit: Unit) -> list[dict[str, Any]]:
    async def work(conn: Conn) -> list[dict[str, Any]]:
        packs = await PackRepository(conn).list_packs()
        return [await _pack_record(conn, pack["id"]) for pack in packs]

    return await unit.read(work)
