"""The EV loop's pass recomputes the packs whose stock moved (a pull or a sellback, by any
process) and those whose 24-hour band is due to move, and counts no stock when nothing moved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from clawvault.buyback.service import sell_back
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.engine import Database
from clawvault.db.models import Environment, Pack, Partner
from clawvault.db.unit import Unit
from clawvault.packs import service as packs_service
from clawvault.packs.domain import expected_value_cents
from clawvault.packs.repository import PackRepository
from clawvault.packs.service import EvWatch, refresh_moved_ev
from clawvault.partners.auth import Caller
from clawvault.pulls.service import buy
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner, run


def count_stock_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    counted: list[str] = []
    tier_stock = PackRepository.tier_stock

    async def counting(self: PackRepository, pack_id: str) -> Any:
        counted.append(pack_id)
        return await tier_stock(self, pack_id)

    monkeypatch.setattr(PackRepository, "tier_stock", counting)
    return counted


async def caller_of(runtime: Runtime, name: str) -> Caller:
    async with runtime.db.read() as conn:
        partner_id = (
            await conn.execute(select(Partner.id).where(Partner.name == name))
        ).scalar_one()
    return Caller(partner_id=partner_id, environment=Environment.PRODUCTION)


async def stored_and_expected(runtime: Runtime, pack_id: str) -> tuple[int, int]:
    async with runtime.db.read() as conn:
        repo = PackRepository(conn)
        stored = (await conn.execute(select(Pack.ev_cents).where(Pack.id == pack_id))).scalar_one()
        return stored, expected_value_cents(
            await repo.tiers(pack_id), await repo.tier_stock(pack_id)
        )


def test_a_pass_recomputes_only_packs_whose_stock_moved_in_any_process(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    moved, still = (
        make_pack(settings, cards_per_tier=(30, 12, 4), seed=s, clock=utcnow) for s in (3, 4)
    )
    counted = count_stock_reads(monkeypatch)

    async def work(runtime: Runtime) -> None:
        watch = EvWatch()
        assert await refresh_moved_ev(runtime, watch) == 0  # first pass: every pack, all fresh
        assert sorted(counted) == sorted([moved, still])
        counted.clear()
        assert await refresh_moved_ev(runtime, watch) == 0
        assert counted == []  # nothing moved: no stock counted

        other = Runtime(db=Database(settings.database_url, settings), settings=settings)
        try:
            caller = await caller_of(other, partner.name)
            bought = await buy(
                other, Unit(other.db), caller, {"id": moved, "amount": 3, "user_id": "u"}
            )
            # The loop of this process, not the other's, brings EV up to date.
            await refresh_moved_ev(runtime, watch)
            assert counted == [moved]
            stored, expected = await stored_and_expected(runtime, moved)
            assert stored == expected

            counted.clear()
            await sell_back(other, Unit(other.db), caller, {"item_id": bought["nfts"][0]["id"]})
            await refresh_moved_ev(runtime, watch)
            assert counted == [moved]
            stored, expected = await stored_and_expected(runtime, moved)
            assert stored == expected
        finally:
            await other.db.dispose()

    run(settings, work)


def test_the_band_narrows_after_24_hours_with_no_stock_move(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, cards_per_tier=(30, 12, 4), seed=5, clock=clock)
    counted = count_stock_reads(monkeypatch)

    async def band(runtime: Runtime) -> tuple[int, int, int]:
        async with runtime.db.read() as conn:
            row = (
                await conn.execute(
                    select(Pack.ev_cents, Pack.min_ev_cents, Pack.max_ev_cents).where(
                        Pack.id == pack_id
                    )
                )
            ).one()
        return row.ev_cents, row.min_ev_cents, row.max_ev_cents

    async def work(runtime: Runtime) -> None:
        watch = EvWatch()
        await refresh_moved_ev(runtime, watch)
        first_ev = (await band(runtime))[0]
        clock.advance(hours=1)
        caller = await caller_of(runtime, partner.name)
        for user in ("a", "b", "c"):  # until the EV moves
            await buy(
                runtime, Unit(runtime.db), caller, {"id": pack_id, "amount": 10, "user_id": user}
            )
            clock.advance(seconds=1)
            await refresh_moved_ev(runtime, watch)
            if (await band(runtime))[0] != first_ev:
                break
        ev, low, high = await band(runtime)
        assert ev != first_ev and (low, high) == (min(ev, first_ev), max(ev, first_ev))

        clock.advance(hours=23, minutes=59)
        await refresh_moved_ev(runtime, watch)
        assert await band(runtime) == (ev, low, high)  # the first EV still counts
        counted.clear()
        clock.advance(minutes=2)  # now it was not in force at any time of the last 24 hours
        await refresh_moved_ev(runtime, watch)
        assert counted == [pack_id]
        assert await band(runtime) == (ev, ev, ev)
        counted.clear()
        clock.advance(hours=48)
        await refresh_moved_ev(runtime, watch)
        assert counted == []  # a band of one EV moves no more

    run(settings, work, clock)


def test_the_loops_of_two_processes_make_one_pass_a_turn(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keep_ev_fresh in two processes (two runtimes on one database): each turn of the EV job
    is one pass of one of them, not one of each; an expensive pass pushes the next turn back."""
    make_partner(settings)
    make_pack(settings, cards_per_tier=(30, 12, 4), seed=3, clock=utcnow)
    turns = settings.model_copy(update={"ev_refresh_seconds": 0.2})
    passes: list[Runtime] = []
    real_pass = packs_service.refresh_moved_ev
    slow = False

    async def observed(runtime: Runtime, watch: EvWatch) -> int:
        passes.append(runtime)
        if slow:
            await asyncio.sleep(0.15)  # a pass of 0.15 s: the next turn 1.5 s later
        return await real_pass(runtime, watch)

    monkeypatch.setattr(packs_service, "refresh_moved_ev", observed)

    async def work(runtime: Runtime) -> tuple[int, int]:
        nonlocal slow
        other = Runtime(db=Database(turns.database_url, turns), settings=turns)
        loops = [asyncio.create_task(packs_service.keep_ev_fresh(r)) for r in (runtime, other)]
        try:
            await asyncio.sleep(2.1)  # ten turns of 0.2 s
            quick = len(passes)
            slow = True
            await asyncio.sleep(2.0)  # the first slow pass, then none for 1.5 s
            return quick, len(passes) - quick
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await other.db.dispose()

    quick, slow_passes = run(turns, work)
    assert 5 <= quick <= 12, quick  # ~ten turns of 0.2 s, each one pass (two loops: twenty)
    assert 1 <= slow_passes <= 2, slow_passes
