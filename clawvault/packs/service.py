"""Use cases of packs: listing, chase cards, keeping EV current."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import RowMapping

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.engine import Database
from clawvault.db.unit import Unit
from clawvault.jobs.repository import JobRepository
from clawvault.jobs.service import run_if_due
from clawvault.packs.domain import Tier, ev_band, ev_band_moves_at, expected_value_cents
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.presenters import chase_json, pack_json
from clawvault.packs.repository import PackRepository, StockMarks

log = logging.getLogger("clawvault.packs")
EV_WINDOW = timedelta(hours=24)


# Each process keeps the listing for `packs_cache_seconds` (keyed weakly by database, so an app
# that is gone takes its entries with it). Stock is still checked exactly by every pull.
# The listing is kept rendered: orjson of it was a tenth of a cached answer's time.
# One listing at a time per key: when every request that found the copy expired listed packs
# itself, a slow listing let dozens pile up (one per request until the first finished), each
# on its own connection and thread, and the answers of the whole second waited for them. So
# a copy past half its age is listed again in the background while it is still served, and
# requests that find no valid copy wait for the one listing under way.
@dataclass
class _Listing:
    body: bytes
    listed_at: float  # when the listing began: the copy is at least as fresh as that


@dataclass
class _Listings:
    copies: dict[str, _Listing] = field(default_factory=dict)
    under_way: dict[str, asyncio.Task[bytes]] = field(default_factory=dict)


_LISTINGS: weakref.WeakKeyDictionary[Database, _Listings] = weakref.WeakKeyDictionary()
_monotonic = time.monotonic


def forget_listings(runtime: Runtime) -> None:
    """After a catalog or price change: this process lists packs afresh at once (other
    processes within packs_cache_seconds). A listing under way then lands in the forgotten
    copy, not in the new one."""
    _LISTINGS.pop(runtime.db, None)


@dataclass(frozen=True)
class StockRule:
    """Which listed packs a pull would find out of stock (`short`), under a name that keys the
    listing's copy: production's rule (every tier with an odds weight has a card) here, the
    sandbox's looser one in clawvault.sandbox.packs."""

    name: str
    short: Callable[[Conn, list[str]], Awaitable[set[str]]]


async def _with_an_empty_tier(conn: Conn, pack_ids: list[str]) -> set[str]:
    return await PackRepository(conn).packs_with_an_empty_tier(pack_ids)


EVERY_TIER_STOCKED = StockRule("production", _with_an_empty_tier)


async def available_json(runtime: Runtime, platform: str) -> bytes:
    """The listing of vm/available as the JSON bytes of the answer."""
    return await listing_json(runtime, platform, EVERY_TIER_STOCKED)


async def listing_json(runtime: Runtime, platform: str, rule: StockRule) -> bytes:
    """The listing of vm/available under a stock rule, as the JSON bytes of the answer."""
    ttl = runtime.settings.packs_cache_seconds
    if ttl <= 0:
        return orjson.dumps(await _list_available(runtime, platform, rule))
    listings = _LISTINGS.get(runtime.db)
    if listings is None:
        listings = _LISTINGS[runtime.db] = _Listings()
    cache_key = f"{rule.name}:{platform}"
    copy = listings.copies.get(cache_key)
    age = None if copy is None else _monotonic() - copy.listed_at
    if copy is not None and age is not None and age < ttl:
        if age >= ttl / 2 and cache_key not in listings.under_way:
            _list_in_background(runtime, listings, cache_key, platform, rule)
        return copy.body
    listing = listings.under_way.get(cache_key) or _list_in_background(
        runtime, listings, cache_key, platform, rule
    )
    return await asyncio.shield(listing)  # a request that goes away leaves it to the others


def _list_in_background(
    runtime: Runtime, listings: _Listings, cache_key: str, platform: str, rule: StockRule
) -> asyncio.Task[bytes]:
    async def list_once() -> bytes:
        started = _monotonic()
        try:
            body = orjson.dumps(await _list_available(runtime, platform, rule))
        finally:
            listings.under_way.pop(cache_key, None)
        if len(listings.copies) > 100:  # platforms are a handful; made-up ones are not kept
            listings.copies.clear()
        listings.copies[cache_key] = _Listing(body, started)
        return body

    task = asyncio.get_running_loop().create_task(list_once())
    task.add_done_callback(_retrieve_failure)
    listings.under_way[cache_key] = task
    return task


def _retrieve_failure(task: asyncio.Task[bytes]) -> None:
    # A background listing that fails is told to the requests waiting for it, if any; a failed
    # refresh ahead of time leaves the copy in place, and the next request lists again.
    if not task.cancelled() and task.exception() is not None:
        log.warning("listing packs failed", exc_info=task.exception())


async def _list_available(runtime: Runtime, platform: str, rule: StockRule) -> list[dict[str, Any]]:
    async def work(conn: Conn) -> tuple[Sequence[RowMapping], dict[str, list[Tier]], set[str]]:
        repo = PackRepository(conn)
        packs = await repo.list_packs(platform)
        ids = [p["id"] for p in packs]
        return packs, await repo.tiers_by_pack(ids), await rule.short(conn, ids)

    # A listing serves every request that finds its copy and may outlive the one that began
    # it: it reads on a unit of its own.
    packs, tiers, short = await Unit(runtime.db).read(work)
    return [
        pack_json(
            p, tiers.get(p["id"], []), in_stock=p["id"] not in short and bool(tiers.get(p["id"]))
        )
        for p in packs
    ]


async def chase(runtime: Runtime, unit: Unit, slug: str) -> list[dict[str, Any]]:
    async def work(conn: Conn) -> Sequence[RowMapping]:
        repo = PackRepository(conn)
        pack = await repo.get_by_slug_or_id(slug)
        if pack is None:
            raise PackNotFoundByPath()
        return await repo.chase_cards(pack["id"], runtime.settings.chase_count)

    return [chase_json(c) for c in await unit.read_catalog(work)]


@dataclass
class _PackEv:
    """A pack's EV and 24-hour band as its tiers, stock and EV history give them now."""

    pack_id: str
    ev: int
    low: int
    high: int
    stored: tuple[int, int, int]  # the EV and band the pack has
    history: list[tuple[datetime, int]]

    @property
    def moved(self) -> bool:
        return (self.ev, self.low, self.high) != self.stored

    async def store(self, conn: Conn, now: datetime) -> bool:
        """Writes it when it moved, conditionally (so every process can run it at once); True
        when the EV changed."""
        if not self.moved:
            return False
        changed = await PackRepository(conn).set_ev(self.pack_id, self.ev, self.low, self.high, now)
        if changed:
            self.history.append((now, self.ev))
        return changed


async def _pack_ev(conn: Conn, pack_id: str, now: datetime) -> _PackEv | None:
    repo = PackRepository(conn)
    pack = await repo.get(pack_id)
    if pack is None:
        return None
    ev = expected_value_cents(await repo.tiers(pack_id), await repo.tier_stock(pack_id))
    history = await repo.ev_history(pack_id, now - EV_WINDOW)
    low, high = ev_band(history, ev, now, EV_WINDOW)
    stored = (pack["ev_cents"], pack["min_ev_cents"], pack["max_ev_cents"])
    return _PackEv(pack_id, ev, low, high, stored, history)


async def refresh_evs(conn: Conn, pack_ids: Iterable[str], now: datetime) -> int:
    """Recomputes the EV and band of each pack in `conn`'s write transaction, so a catalog or
    price change commits them with itself; returns how many EVs changed."""
    changed = 0
    for pack_id in sorted(set(pack_ids)):  # one order of pack rows for every writer
        computed = await _pack_ev(conn, pack_id, now)
        if computed is not None:
            changed += await computed.store(conn, now)
    return changed


async def refresh_ev(runtime: Runtime, unit: Unit, pack_id: str) -> bool:
    """Recomputes one pack's EV and its 24-hour band; True when the EV changed. Computed in a
    read transaction; written only when something moved, conditionally, so every process can
    run it at once."""
    return (await _refresh_pack_ev(runtime, unit, pack_id))[0]


async def _refresh_pack_ev(
    runtime: Runtime, unit: Unit, pack_id: str
) -> tuple[bool, datetime | None]:
    """refresh_ev, and when the band it wrote can next move with no new EV."""
    now = runtime.clock()

    async def read(conn: Conn) -> _PackEv | None:
        return await _pack_ev(conn, pack_id, now)

    computed = await unit.read(read)
    if computed is None:
        return False, None

    async def write(conn: Conn) -> bool:
        return await computed.store(conn, now)

    changed = await unit.write(write, attempts=1) if computed.moved else False
    return changed, ev_band_moves_at(computed.history, now, EV_WINDOW)


async def _pack_ids(conn: Conn) -> list[str]:
    return [p["id"] for p in await PackRepository(conn).list_packs()]


async def refresh_all_ev(runtime: Runtime) -> int:
    """Every pack's refresh_ev, each on a unit of its own (a job's batch)."""
    changed = 0
    for pack_id in await Unit(runtime.db).read(_pack_ids):
        changed += await refresh_ev(runtime, Unit(runtime.db), pack_id)
    return changed


@dataclass
class EvWatch:
    """What one process's EV loop knows between passes. A pack's EV moves with its stock and
    its card prices. Prices and the catalog recompute EV themselves when they change it
    (pricing, catalog); stock moves by pulls and sellbacks, each a new row of `pulls` or
    `buybacks`, so a pass reads only the rows added since the last one (a primary key range)
    and recomputes just those packs, and those whose 24-hour band is due to move. Counting a
    large pool's stock for every pack every pass cost a worker ~0.4 s of CPU per pass at
    60,000 cards, and slowed every request around it."""

    marks: list[StockMarks] = field(default_factory=list)  # of the last passes, oldest first
    band_moves: dict[str, datetime] = field(default_factory=dict)
    full_pass_at: float = 0.0  # monotonic time of the next pass over every pack


# Every pack is recomputed at least this often all the same (a process's first pass, too): a
# safety net for changes made around the application (a script, a hand-edited row).
EV_FULL_PASS_SECONDS = 300.0


async def refresh_moved_ev(runtime: Runtime, watch: EvWatch) -> int:
    """One pass of the EV loop: recomputes the packs whose stock moved since the last pass or
    whose band is due to move (every pack on the first pass and every EV_FULL_PASS_SECONDS).
    Returns how many EVs changed."""
    now, started = runtime.clock(), _monotonic()

    async def read(conn: Conn) -> tuple[list[str], StockMarks, bool, set[str]]:
        repo = PackRepository(conn)
        pack_ids = await _pack_ids(conn)
        marks = await repo.stock_marks()
        full_pass = not watch.marks or started >= watch.full_pass_at
        if full_pass:
            return pack_ids, marks, full_pass, set(pack_ids)
        # PostgreSQL hands out ids before commit, so a row may show up after a higher id did:
        # look back one pass further there.
        since = watch.marks[0] if runtime.db.is_postgres else watch.marks[-1]
        due = await repo.packs_with_stock_moves_since(since) if since != marks else set()
        return pack_ids, marks, full_pass, due

    # A unit for the pass's read, and one for each pack's refresh.
    pack_ids, marks, full_pass, due = await Unit(runtime.db).read(read)
    due |= {pack_id for pack_id, at in watch.band_moves.items() if at < now}
    changed = 0
    for pack_id in (p for p in pack_ids if p in due):
        moved, band_moves = await _refresh_pack_ev(runtime, Unit(runtime.db), pack_id)
        changed += moved
        if band_moves is None:
            watch.band_moves.pop(pack_id, None)
        else:
            watch.band_moves[pack_id] = band_moves
    for gone in watch.band_moves.keys() - set(pack_ids):
        del watch.band_moves[gone]
    # Only now: a pass that failed half-way is made again from the same marks.
    watch.marks = [*watch.marks, marks][-2:]
    if full_pass:
        watch.full_pass_at = started + EV_FULL_PASS_SECONDS
    return changed


EV_JOB = "ev-refresh"


async def keep_ev_fresh(runtime: Runtime) -> None:
    """Background loop of every server process: EV follows stock and prices. Each pass is a turn
    of the EV_JOB job, claimed in the database (`run_if_due`), so one process makes it whatever
    the number of processes (each used to make every pass, counting the same stock: 31 counts
    of 75 ms in PostgreSQL during 8 s of pulls, a fifth of the pulls' own statement time). A
    process that takes a turn after another recomputes what moved since its own last pass, a
    superset of what is left; its first pass, and one every EV_FULL_PASS_SECONDS, covers every
    pack and so learns every pack's next band move. The turns back off when a pass is expensive
    (huge pools), so the passes never take more than a tenth of the time."""
    interval = runtime.settings.ev_refresh_seconds
    watch = EvWatch()

    async def one_pass(rt: Runtime, _turn: int) -> int:
        started = time.monotonic()
        changed = await refresh_moved_ev(rt, watch)
        pause = (time.monotonic() - started) * 10
        if pause > interval:  # the next turn, whichever process takes it, waits as long

            async def postpone(conn: Conn) -> None:
                await JobRepository(conn).postpone(EV_JOB, rt.clock() + timedelta(seconds=pause))

            await Unit(rt.db).write(postpone, attempts=1)
        return changed

    while True:
        try:
            await run_if_due(runtime, EV_JOB, interval, one_pass)  # logs a failed pass
        except Exception:  # a failed claim (database away) must not stop the loop
            log.exception("EV refresh could not be claimed")
        await asyncio.sleep(interval)
