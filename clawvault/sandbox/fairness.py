"""Provably fair pulls in the sandbox: the production seed life (clawvault.fairness.seeds) on
the key's sandbox store, receipts of the key's own pulls, and the odds as this key's draws see
them. A sandbox key's seeds are independent of the partner's production seeds."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.fairness import seeds
from clawvault.fairness.domain import (
    WINDOWS,
    commitment_json,
    odds_json,
    receipt_json,
    valid_client_seed,
)
from clawvault.fairness.errors import ReceiptNotFound
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox.catalog_repository import CatalogRepository
from clawvault.sandbox.context import SandboxTx, sandbox_read, sandbox_write
from clawvault.sandbox.domain import override_candidates


async def commitment(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    async def work(tx: SandboxTx) -> dict[str, Any]:
        seed = await seeds.active_seed(tx.fairness.seeds, runtime.randomness, user_id, tx.now)
        return commitment_json(user_id, seed)

    return await sandbox_write(runtime, unit, caller, work, answers=True)


async def set_client_seed(
    runtime: Runtime, unit: Unit, caller: Caller, user_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    client_seed = valid_client_seed(body.get("client_seed"))

    async def work(tx: SandboxTx) -> dict[str, Any]:
        return await seeds.set_client_seed(
            tx.fairness.seeds, runtime.randomness, user_id, client_seed, tx.now
        )

    return await sandbox_write(runtime, unit, caller, work, answers=True)


async def rotate(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    async def work(tx: SandboxTx) -> dict[str, Any]:
        return await seeds.rotate(tx.fairness.seeds, runtime.randomness, user_id, tx.now)

    return await sandbox_write(runtime, unit, caller, work, answers=True)


async def receipt(runtime: Runtime, unit: Unit, caller: Caller, session_id: str) -> dict[str, Any]:
    async def read(tx: SandboxTx) -> dict[str, Any]:
        session = await tx.repo.session(session_id)
        if session is None or session["odds_canonical"] is None:
            raise ReceiptNotFound()
        draws = await tx.fairness.session_draws(session_id)
        return receipt_json(session_id, session, draws)

    return await sandbox_read(runtime, unit, caller, read)


async def published_odds(
    runtime: Runtime, unit: Unit, caller: Caller, pack_id: str
) -> dict[str, Any]:
    """The pack's odds table (as in production), with the cards this key's next draw could take
    per tier (its FMV overrides applied, the cards it holds left out) and the realized
    frequencies of this key's own sandbox pulls, by the key's clock."""

    async def own_pulls(
        tx: SandboxTx,
    ) -> tuple[dict[str, int], set[str], dict[str, dict[int, int]], datetime]:
        overrides = await tx.repo.fmv_overrides()
        excluded = await tx.repo.active_card_ids(pack_id)
        realized = {
            name: await tx.fairness.pulls_by_tier(pack_id, None if span is None else tx.now - span)
            for name, span in WINDOWS
        }
        return overrides, excluded, realized, tx.now

    overrides, excluded, realized, now = await sandbox_read(runtime, unit, caller, own_pulls)

    async def catalog_odds(conn: Conn) -> dict[str, Any]:
        pack = await PackRepository(conn).get(pack_id)
        if pack is None:
            raise PackNotFoundByPath()
        tiers = await PackRepository(conn).tiers(pack_id)
        catalog = CatalogRepository(conn)
        overridden = set(overrides)
        available = Counter(await catalog.available_by_tier(pack_id, excluded | overridden))
        in_pool = await catalog.pool_cards(pack_id, overridden - excluded)
        candidates = override_candidates(tiers, overrides, in_pool, excluded)
        available.update(c.tier_id for c in candidates)
        return odds_json(pack_id, tiers, available, realized, now)

    return await unit.read_catalog(catalog_odds)
