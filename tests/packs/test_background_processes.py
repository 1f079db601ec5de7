"""Background work that every server process runs (the EV refresher) is safe when they all run
it at once, while pulls and sellbacks change stock: separate engines stand for processes (on
SQLite each has its own write lock, so they meet on the file's lock as processes do)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from clawvault.buyback.service import sell_back
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.engine import Database
from clawvault.db.models import Environment, Pack, Partner
from clawvault.db.unit import Unit
from clawvault.packs.domain import expected_value_cents
from clawvault.packs.repository import PackRepository
from clawvault.packs.service import refresh_all_ev
from clawvault.partners.auth import Caller
from clawvault.pulls.service import buy
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner, run

PROCESSES = 4
ROUNDS = 12


def test_every_process_refreshing_ev_at_once_is_safe(settings: Settings) -> None:
    partner = make_partner(settings)
    pack_ids = [
        make_pack(settings, cards_per_tier=(40, 20, 8), seed=s, clock=utcnow) for s in (1, 2)
    ]

    async def work(runtime: Runtime) -> list[tuple[int, int]]:
        async with runtime.db.read() as conn:
            partner_id = (
                await conn.execute(select(Partner.id).where(Partner.name == partner.name))
            ).scalar_one()
        caller = Caller(partner_id=partner_id, environment=Environment.PRODUCTION)
        processes = [
            Runtime(db=Database(settings.database_url, settings), settings=settings)
            for _ in range(PROCESSES)
        ]

        async def refresher(process: Runtime) -> None:
            for _ in range(ROUNDS):
                await refresh_all_ev(process)

        async def trader(process: Runtime, number: int) -> None:
            for round_number in range(ROUNDS):
                body = {"id": pack_ids[round_number % 2], "amount": 2, "user_id": f"t{number}"}
                bought = await buy(process, Unit(process.db), caller, body)
                await sell_back(
                    process, Unit(process.db), caller, {"item_id": bought["nfts"][0]["id"]}
                )

        try:
            await asyncio.gather(
                *(refresher(p) for p in processes),
                *(trader(p, n) for n, p in enumerate(processes)),
            )
            await refresh_all_ev(processes[0])  # one more round once stock is still
        finally:
            for process in processes:
                await process.db.dispose()
        async with runtime.db.read() as conn:
            repo = PackRepository(conn)
            stored = {
                row.id: row.ev_cents
                for row in (await conn.execute(select(Pack.id, Pack.ev_cents))).all()
            }
            return [
                (
                    stored[pack_id],
                    expected_value_cents(await repo.tiers(pack_id), await repo.tier_stock(pack_id)),
                )
                for pack_id in pack_ids
            ]

    for stored, expected in run(settings, work):
        assert stored == expected
