"""Sandbox pulls: drawn from the production catalog by clawvault-fair-v1 from the user's committed
sandbox seed, recorded only in the sandbox store (no stock reserved, no money moved),
synchronous."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from clawvault.core.ids import new_public_id, new_session_id
from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.fairness import seeds
from clawvault.fairness.domain import Draw
from clawvault.packs.domain import Tier, TierTable, buyback_cents, odds_canonical
from clawvault.packs.errors import PackNotFound
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller
from clawvault.pulls.domain import amount_refusal, parse_amount, parse_user_id
from clawvault.pulls.errors import (
    AmountTooLarge,
    OutOfStock,
    TransactionFailed,
    UserIdRequired,
)
from clawvault.sandbox.catalog_repository import CatalogRepository
from clawvault.sandbox.context import SandboxTx, sandbox_read, sandbox_write
from clawvault.sandbox.domain import (
    Candidate,
    buyback_expiry,
    new_tx_hash,
    override_candidates,
    pick_by_key,
)
from clawvault.sandbox.events import announce
from clawvault.sandbox.models import SandboxItemStatus
from clawvault.sandbox.presenters import items_json, recent_pull_json
from clawvault.webhooks.domain import EventType

PULL_ATTEMPTS = 4


@dataclass(frozen=True)
class Drawn:
    card: Candidate
    odds_canonical: str


async def _draw_one(
    catalog: CatalogRepository,
    pack_id: str,
    tiers: list[Tier],
    overrides: dict[str, int],
    excluded: set[str],
    draw: Draw,
) -> Drawn | None:
    """One card by clawvault-fair-v1 among this key's candidates (the sandbox rule): the odds
    table is the pack's tiers that still have a candidate, cards with a sandbox FMV count in the
    tier that FMV falls in, and the card is the candidate of the tier with the smallest pool key
    at or after the drawn key (wrapping). At most two index probes on the pool."""
    overridden = set(overrides)
    in_pool = await catalog.pool_cards(pack_id, overridden - excluded)
    moved = override_candidates(tiers, overrides, in_pool, excluded)
    from_pool = await catalog.tiers_with_candidates(pack_id, excluded | overridden)
    stocked = from_pool | {c.tier_id for c in moved}
    candidates = [t for t in tiers if t.tier_id in stocked and t.weight > 0]
    if not candidates:
        return None
    tier = TierTable(candidates).draw(draw.u)
    choices = [c for c in moved if c.tier_id == tier.tier_id]
    if tier.tier_id in from_pool:
        # the pool's first candidate at or after the drawn key, else its first one (wrapping)
        left_out = excluded | overridden
        row = await catalog.first_card(pack_id, tier.tier_id, draw.key, left_out)
        if row is None:
            row = await catalog.first_card(pack_id, tier.tier_id, 0, left_out)
        if row is not None:
            key = int(row["pool_key"])
            choices.append(Candidate(row["id"], int(row["fmv_cents"]), tier.tier_id, key))
    chosen = pick_by_key(draw.key, choices)
    if chosen is None:
        return None
    return Drawn(chosen, odds_canonical(candidates))


async def buy(runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_id = parse_user_id(body.get("user_id"))
    if user_id is None:
        raise UserIdRequired()
    pack_id = body.get("id")
    if not isinstance(pack_id, str) or not pack_id:
        raise PackNotFound()
    result = await _buy(runtime, unit, caller, pack_id, user_id, body.get("amount"))
    event = {"user_id": user_id, "claw_id": pack_id, "amount": len(result["nfts"]), **result}
    await announce(runtime, caller, EventType.PULL_FULFILLED, event)
    return result


async def _buy(
    runtime: Runtime, unit: Unit, caller: Caller, pack_id: str, user_id: str, raw_amount: Any
) -> dict[str, Any]:
    for attempt in range(1, PULL_ATTEMPTS + 1):
        try:
            return await _buy_once(runtime, unit, caller, pack_id, user_id, raw_amount)
        except IntegrityError:
            # Last guard (the key lock should make it unreachable): two pulls of one key took
            # the same card; the loser was rolled back whole (no commit of the unit's) and
            # draws again.
            if attempt == PULL_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _buy_once(
    runtime: Runtime, unit: Unit, caller: Caller, pack_id: str, user_id: str, raw_amount: Any
) -> dict[str, Any]:
    """The pull in the unit's write transaction on the sandbox store, within a read of the
    catalog (production's database), its answer made in it."""

    async def in_catalog(catalog_conn: Conn) -> dict[str, Any]:
        async def pull(tx: SandboxTx) -> dict[str, Any]:
            return await _pull(runtime, catalog_conn, tx, pack_id, user_id, raw_amount)

        return await sandbox_write(runtime, unit, caller, pull, answers=True)

    return await unit.read_catalog(in_catalog)


async def _pull(
    runtime: Runtime,
    catalog_conn: Conn,
    tx: SandboxTx,
    pack_id: str,
    user_id: str,
    raw_amount: Any,
) -> dict[str, Any]:
    """One attempt of a sandbox pull, and its answer."""
    packs, catalog = PackRepository(catalog_conn), CatalogRepository(catalog_conn)
    pack = await packs.get(pack_id)
    if pack is None:
        raise PackNotFound()
    amount = parse_amount(raw_amount)
    if amount is None:
        raise amount_refusal(raw_amount)
    if amount > pack["max_per_mint"]:
        raise AmountTooLarge(pack["max_per_mint"])
    tiers = await packs.tiers(pack_id)
    if not pack["enable"] or not tiers:
        raise OutOfStock()
    await tx.repo.lock_key()
    overrides = await tx.repo.fmv_overrides()
    excluded = await tx.repo.active_card_ids(pack_id)
    # Every draw comes from the user's committed sandbox seed (clawvault-fair-v1).
    draws = await seeds.draw_stream(tx.fairness.seeds, runtime.randomness, user_id, amount, tx.now)
    session_id = new_session_id()
    expires_at = buyback_expiry(tx.now)
    rows: list[dict[str, Any]] = []
    for position in range(amount):
        draw = draws.next()
        drawn = await _draw_one(catalog, pack_id, tiers, overrides, excluded, draw)
        if drawn is None:
            raise OutOfStock()  # nothing is written: all items or none
        card = drawn.card
        excluded.add(card.card_id)
        rows.append(
            {
                "session_id": session_id,
                "position": position,
                "card_id": card.card_id,
                "pack_id": pack_id,
                "user_id": user_id,
                "status": SandboxItemStatus.HELD.value,
                "tier_id": card.tier_id,
                "fmv_cents": card.fmv_cents,
                "buyback_bps": pack["buyback_bps"],
                "buyback_price_cents": buyback_cents(card.fmv_cents, pack["buyback_bps"]),
                "purchased_at": tx.now,
                "buyback_expires_at": expires_at,
                "updated_at": tx.now,
                "seed_id": draws.seed_id,
                "nonce": draw.nonce,
                "draw": draw.u,
                "drawn_key": draw.key,
                "card_key": card.pool_key,
                "odds_canonical": drawn.odds_canonical,
            }
        )
    await tx.repo.add_session(
        {
            "id": session_id,
            "user_id": user_id,
            "pack_id": pack_id,
            "amount": amount,
            "public_id": new_public_id(),
            "tx_hash": new_tx_hash(),
            "odds_canonical": odds_canonical(tiers),
            "created_at": tx.now,
        }
    )
    await tx.repo.add_items(rows)
    await tx.repo.ensure_user(user_id, tx.now)
    cards = await catalog.cards(r["card_id"] for r in rows)
    return {"session_id": session_id, "nfts": items_json(rows, cards)}


async def status(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    """Never pending: a sandbox pull is complete when buy/init answers."""
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise TransactionFailed()

    async def read(tx: SandboxTx) -> tuple[Any, list[Any]]:
        session = await tx.repo.session(session_id)
        if session is None:
            raise TransactionFailed()
        return session, list(await tx.repo.session_items(session_id))

    session, holdings = await sandbox_read(runtime, unit, caller, read)
    cards = await unit.read_catalog(_cards_of(holdings))
    return {
        "result": {
            "session_id": session_id,
            "user_id": session["user_id"],
            "public_id": session["public_id"],
            "nfts": items_json(holdings, cards, include_image_link=False),
            "tx_hash": session["tx_hash"],
        }
    }


async def recent_pulls(
    runtime: Runtime, unit: Unit, caller: Caller, pack_ids: list[str] | None, limit: int
) -> list[dict[str, Any]]:
    """This sandbox key's own pulls, newest first (production pulls and other keys' sandbox
    pulls never show)."""

    async def read(tx: SandboxTx) -> list[Any]:
        return list(await tx.repo.recent(pack_ids, limit))

    holdings = await sandbox_read(runtime, unit, caller, read)
    cards = await unit.read_catalog(_cards_of(holdings))
    return [recent_pull_json(h, cards[h["card_id"]]) for h in holdings if h["card_id"] in cards]


def _cards_of(holdings: list[Any]) -> Callable[[Conn], Awaitable[dict[str, Any]]]:
    """A catalog read of the cards of `holdings`."""

    async def read(conn: Conn) -> dict[str, Any]:
        return await CatalogRepository(conn).cards(h["card_id"] for h in holdings)

    return read
