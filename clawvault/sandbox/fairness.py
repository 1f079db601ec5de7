"""Provably fair pulls in the sandbox: the production seed life (clawvault.fairness.seeds) on
the key's sandbox store, receipts of the key's own pulls, and the odds as this key's draws see
them. A sandbox key's seeds are independent of the partner's production seeds."""

from __future__ import annotations

from collections import Counter
from typing import Any

from clawvault.core.runtime import Runtime
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
from clawvault.sandbox.context import sandbox_read, sandbox_write
from clawvault.sandbox.domain import override_candidates


async def commitment(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    async with sandbox_write(runtime, caller) as tx:
        seed = await seeds.active_seed(tx.fairness.seeds, runtime.randomness, user_id, tx.now)
    return commitment_json(user_id, seed)


async def set_client_seed(
    runtime: Runtime, caller: Caller, user_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    client_seed = valid_client_seed(body.get("client_seed"))
    async with sandbox_write(runtime, caller) as tx:
        return await seeds.set_client_seed(
            tx.fairness.seeds, runtime.randomness, user_id, client_seed, tx.now
        )


async def rotate(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    async with sandbox_write(runtime, caller) as tx:
        return await seeds.rotate(tx.fairness.seeds, runtime.randomness, user_id, tx.now)


async def receipt(runtime: Runtime, caller: Caller, session_id: str) -> dict[str, Any]:
    async with sandbox_read(runtime, caller) as tx:
        session = await tx.repo.session(session_id)
        if session is None or session["odds_canonical"] is None:
            raise ReceiptNotFound()
        draws = await tx.fairness.session_draws(session_id)
    return receipt_json(session_id, session, draws)


async def published_odds(runtime: Runtime, caller: Caller, pack_id: str) -> dict[str, Any]:
    """The pack's odds table (as in production), with the cards this key's next draw could take
    per tier (its FMV overrides applied, the cards it holds left out) and the realized
    frequencies of this key's own sandbox pulls, by the key's clock."""
    async with sandbox_read(runtime, caller) as tx:
        overrides = await tx.repo.fmv_overrides()
        excluded = await tx.repo.active_card_ids(pack_id)
        realized = {
            name: await tx.fairness.pulls_by_tier(pack_id, None if span is None else tx.now - span)
            for name, span in WINDOWS
        }
        now = tx.now
    async with runtime.db.read() as conn:
        pack = await PackRepository(conn).get(pack_id)
        if pack is None:
            raise PackNotFoundByPath()
        tiers = await PackRepository(conn).tiers(pack_id)
        catalog = CatalogRepository(conn)
        overridden = set(overrides)
        available = Counter(await catalog.available_by_tier(pack_id, excluded | overridden))
        in_pool = await catalog.pool_cards(pack_id, overridden - excluded)
    available.update(c.tier_id for c in override_candidates(tiers, overrides, in_pool, excluded))
    return odds_json(pack_id, tiers, available, realized, now)
