"""Use cases of packs: listing, chase cards, keeping EV current."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from datetime import timedelta
from typing import Any

import orjson

from clawvault.core.runtime import Runtime
from clawvault.db.engine import Database
from clawvault.packs.domain import ev_band, expected_value_cents
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.presenters import chase_json, pack_json
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox.catalog_repository import CatalogRepository

log = logging.getLogger("clawvault.packs")
EV_WINDOW = timedelta(hours=24)


# Each process keeps the listing for `packs_cache_seconds` (keyed weakly by database, so an app
# that is gone takes its entries with it). Stock is still checked exactly by every pull.
# The listing is kept rendered: orjson of it was a tenth of a cached answer's time.
_LISTINGS: weakref.WeakKeyDictionary[Database, dict[str, tuple[float, bytes]]] = (
    weakref.WeakKeyDictionary()
)


def forget_listings(runtime: Runtime) -> None:
    """After a catalog or price change: this process lists packs afresh at once (other
    processes within packs_cache_seconds)."""
    _LISTINGS.pop(runtime.db, None)


async def available_json(runtime: Runtime, platform: str, caller: Caller | None = None) -> bytes:
    """The listing of vm/available as the JSON bytes of the answer."""
    sandbox = caller is not None and caller.is_sandbox
    ttl = runtime.settings.packs_cache_seconds
    if ttl <= 0:
        return orjson.dumps(await _list_available(runtime, platform, sandbox))
    cached = _LISTINGS.setdefault(runtime.db, {})
    cache_key = f"{'sandbox' if sandbox else 'production'}:{platform}"
    entry = cached.get(cache_key)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    listing = orjson.dumps(await _list_available(runtime, platform, sandbox))
    if len(cached) > 100:  # platforms are a handful; a flood of made-up ones is not kept
        cached.clear()
    cached[cache_key] = (now + ttl, listing)
    return listing


async def _list_available(runtime: Runtime, platform: str, sandbox: bool) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        repo = PackRepository(conn)
        packs = await repo.list_packs(platform)
        ids = [p["id"] for p in packs]
        tiers = await repo.tiers_by_pack(ids)
        if sandbox:  # the looser sandbox rule
            stocked = await CatalogRepository(conn).packs_with_any_stock(ids)
            short = set(ids) - stocked
        else:
            short = await repo.packs_with_an_empty_tier(ids)
    return [
        pack_json(
            p, tiers.get(p["id"], []), in_stock=p["id"] not in short and bool(tiers.get(p["id"]))
        )
        for p in packs
    ]


async def chase(runtime: Runtime, slug: str) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        repo = PackRepository(conn)
        pack = await repo.get_by_slug_or_id(slug)
        if pack is None:
            raise PackNotFoundByPath()
        cards = await repo.chase_cards(pack["id"], runtime.settings.chase_count)
    return [chase_json(c) for c in cards]


async def refresh_ev(runtime: Runtime, pack_id: str) -> bool:
    """Recomputes one pack's EV and its 24-hour band; True when the EV changed. Computed in a
    read transaction; written only when something moved, conditionally, so every process can
    run it at once."""
    now = runtime.clock()
    async with runtime.db.read() as conn:
        repo = PackRepository(conn)
        pack = await repo.get(pack_id)
        if pack is None:
            return False
        ev = expected_value_cents(await repo.tiers(pack_id), await repo.tier_stock(pack_id))
        low, high = ev_band(await repo.ev_history(pack_id, now - EV_WINDOW), ev, now, EV_WINDOW)
    if (ev, low, high) == (pack["ev_cents"], pack["min_ev_cents"], pack["max_ev_cents"]):
        return False
    async with runtime.db.write() as conn:
        return await PackRepository(conn).set_ev(pack_id, ev, low, high, now)


async def refresh_all_ev(runtime: Runtime) -> int:
    async with runtime.db.read() as conn:
        pack_ids = [p["id"] for p in await PackRepository(conn).list_packs()]
    changed = 0
    for pack_id in pack_ids:
        changed += await refresh_ev(runtime, pack_id)
    return changed


async def keep_ev_fresh(runtime: Runtime) -> None:
    """Background loop of every server process: EV follows stock and prices. It backs off when a
    refresh is expensive (huge pools), so it never takes more than a tenth of the time."""
    interval = runtime.settings.ev_refresh_seconds
    while True:
        started = time.monotonic()
        try:
            await refresh_all_ev(runtime)
        except Exception:  # a failed refresh must not stop the loop
            log.exception("EV refresh failed")
        elapsed = time.monotonic() - started
        await asyncio.sleep(max(interval, elapsed * 10))
