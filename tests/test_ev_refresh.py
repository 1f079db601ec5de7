"""The EV loop's pass recomputes the packs whose stock moved (a pull or a sellback, by any
process) and those whose 24-hour band is due to move, and counts no stock when nothing moved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from clawvault.buyback.service import sell_back
from clawvault.core.runtime import Runtime
from clawvault.db.engine import Database
from clawvault.db.models import Environment, Pack, Partner
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
    moved, still = (make_pack(settings, cards_per_tier=(30, 12, 4), seed=s) for s in (3, 4))
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
            bought = await buy(other, caller, {"id": moved, "amount": 3, "user_id": "u"})
            # The loop of this process, not the other's, brings EV up to date.
            await refresh_moved_ev(runtime, watch)
            assert counted == [moved]
            stored, expected = await stored_and_expected(runtime, moved)
            assert stored == expected

            counted.clear()
            await sell_back(other, caller, {"item_id": bought["nfts"][0]["id"]})
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
            await buy(runtime, caller, {"id": pack_id, "amount": 10, "user_id": user})
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
