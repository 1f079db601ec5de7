"""Provably fair pulls: committed server seeds, client seeds, nonces, receipts, odds (the
production side of `fairness.port`; clawvault.sandbox.fairness is the sandbox's, with the same
seed life and receipts on the sandbox store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.fairness import seeds
from clawvault.fairness.domain import (
    WINDOWS,
    DrawStream,
    commitment_json,
    odds_json,
    receipt_json,
    valid_client_seed,
)
from clawvault.fairness.errors import ReceiptNotFound
from clawvault.fairness.repository import FairnessRepository, SeedRepository
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller


async def draw_stream(
    conn: Conn,
    runtime: Runtime,
    partner_id: int,
    user_id: str,
    count: int,
    now: datetime,
) -> DrawStream:
    return await seeds.draw_stream(
        SeedRepository.of_partner(conn, partner_id), runtime.randomness, user_id, count, now
    )


async def commitment(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    async def work(conn: Conn) -> dict[str, Any]:
        seed = await seeds.active_seed(
            SeedRepository.of_partner(conn, caller.partner_id),
            runtime.randomness,
            user_id,
            runtime.clock(),
        )
        return commitment_json(user_id, seed)

    return await unit.write(work, answers=True)


async def set_client_seed(
    runtime: Runtime, unit: Unit, caller: Caller, user_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    client_seed = valid_client_seed(body.get("client_seed"))

    async def work(conn: Conn) -> dict[str, Any]:
        return await seeds.set_client_seed(
            SeedRepository.of_partner(conn, caller.partner_id),
            runtime.randomness,
            user_id,
            client_seed,
            runtime.clock(),
        )

    return await unit.write(work, answers=True)


async def rotate(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    """Reveals the active server seed and commits a new one (the client seed carries over)."""

    async def work(conn: Conn) -> dict[str, Any]:
        return await seeds.rotate(
            SeedRepository.of_partner(conn, caller.partner_id),
            runtime.randomness,
            user_id,
            runtime.clock(),
        )

    return await unit.write(work, answers=True)


async def receipt(runtime: Runtime, unit: Unit, caller: Caller, session_id: str) -> dict[str, Any]:
    async def read(conn: Conn) -> dict[str, Any]:
        repo = FairnessRepository(conn)
        session = await repo.session(session_id, caller.partner_id)
        if session is None or session["odds_canonical"] is None:
            raise ReceiptNotFound()
        draws = await repo.session_draws(session_id)
        return receipt_json(session_id, session, draws)

    return await unit.read(read)


async def published_odds(
    runtime: Runtime, unit: Unit, caller: Caller, pack_id: str
) -> dict[str, Any]:
    now = runtime.clock()

    async def read(conn: Conn) -> dict[str, Any]:
        pack = await PackRepository(conn).get(pack_id)
        if pack is None:
            raise PackNotFoundByPath()
        tiers = await PackRepository(conn).tiers(pack_id)
        repo = FairnessRepository(conn)
        available = await repo.available_by_tier(pack_id)
        realized = {
            name: await repo.pulls_by_tier(pack_id, None if span is None else now - span)
            for name, span in WINDOWS
        }
        return odds_json(pack_id, tiers, available, realized, now)

    return await unit.read(read)
