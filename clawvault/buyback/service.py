"""Sellback: the card goes back to its pack's pool and the partner is credited the live price."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from clawvault.buyback.errors import (
    BuybackInProgress,
    ItemExpired,
    ItemNotFound,
    SettlementFailed,
)
from clawvault.buyback.in_one import sell_in_one
from clawvault.buyback.repository import BuybackRepository, RowBusy
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.models import CardStatus
from clawvault.db.unit import Unit
from clawvault.packs.domain import buyback_cents
from clawvault.partners.auth import Caller
from clawvault.pricing.domain import is_stale, max_price_age
from clawvault.webhooks.domain import EventType
from clawvault.webhooks.service import emit

log = logging.getLogger("clawvault.buyback")


class InFlight:
    """Item ids with a sellback under way in this process (other processes are told apart by
    the row lock)."""

    def __init__(self) -> None:
        self._ids: set[tuple[int, str]] = set()

    def claim(self, key: tuple[int, str]) -> bool:
        if key in self._ids:
            return False
        self._ids.add(key)
        return True

    def release(self, key: tuple[int, str]) -> None:
        self._ids.discard(key)


IN_FLIGHT = InFlight()

# PostgreSQL: a held card's row may be locked for a moment by a transaction that is not a
# sellback: a pull whose FOR UPDATE SKIP LOCKED met the card as its claim by another pull was
# committing locks the card's new version before finding it no longer available, until that
# pull commits (seen in tests/test_background_processes.py). So a sellback that finds the row
# locked tries again, each time in a new transaction, before answering 429 (a sellback of the
# same item in another process holds it as briefly: after it, this one finds the item gone).
BUSY_PAUSES = (0.002, 0.005, 0.01)


async def sell_back(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    item_id = body.get("item_id")
    if not isinstance(item_id, str) or not item_id:
        raise ItemNotFound()
    key = (caller.partner_id, item_id)
    if not IN_FLIGHT.claim(key):
        # 429 only for an item this partner's user holds: anyone else's (or no) item is
        # "not found", however many requests name it at once.
        async def held(conn: Conn) -> bool:
            return await BuybackRepository(conn).is_held_by(item_id, caller.partner_id)

        raise BuybackInProgress() if await unit.read(held) else ItemNotFound()
    try:
        for pause in (*BUSY_PAUSES, None):
            try:
                # An attempt that met RowBusy rolled back: the next can still commit the unit.
                return await _settle(runtime, unit, caller, item_id)
            except RowBusy as exc:
                if pause is None:
                    raise BuybackInProgress() from exc
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")
    finally:
        IN_FLIGHT.release(key)


async def _settle(runtime: Runtime, unit: Unit, caller: Caller, item_id: str) -> dict[str, Any]:
    """Two ways: PostgreSQL, when the sellback can be one statement in autocommit
    (`sell_in_one`); otherwise, and for whatever that leaves (an error to tell, a webhook event
    or an idempotency record to commit with it), in a transaction (`sell_in_transaction`).
    Both give the same rows and answers (tests/buyback/)."""
    now = runtime.clock()
    sold = await sell_in_one(runtime, unit, caller, item_id, now)
    if sold is not None:
        return sold
    return await sell_in_transaction(runtime, unit, caller, item_id, now)


async def sell_in_transaction(
    runtime: Runtime, unit: Unit, caller: Caller, item_id: str, now: datetime
) -> dict[str, Any]:
    async def settle(conn: Conn) -> dict[str, Any]:
        return await _settle_in(conn, runtime, caller, item_id, now)

    return await unit.write(settle, attempts=1, inline=True, answers=True)


async def _settle_in(
    conn: Conn, runtime: Runtime, caller: Caller, item_id: str, now: datetime
) -> dict[str, Any]:
    repo = BuybackRepository(conn)
    card = await repo.lock_held_card(item_id, caller.partner_id)  # RowBusy: locked
    if (
        card is None
        or card["status"] != CardStatus.HELD.value
        or card["owner_partner_id"] != caller.partner_id
    ):
        raise ItemNotFound()
    expires_at = card["buyback_expires_at"]
    if expires_at is not None and now >= as_utc(expires_at):
        raise ItemExpired()
    if is_stale(card["fmv_as_of"], now, max_price_age(runtime.settings.price_max_age_hours)):
        # Never settle on an old price: refused as a sellback that could not be settled
        # (§3.7 "Transaction failed"), and reported (log, GET /admin/v1/prices/stale).
        log.warning("sellback of %s refused: its price is stale", item_id)
        raise SettlementFailed()
    amount = buyback_cents(card["fmv_cents"], card["buyback_bps"])
    settled = await repo.settle(
        card["session_id"],
        runtime.randomness.pool_key(),
        {
            "card_id": item_id,
            "partner_id": caller.partner_id,
            "user_id": card["owner_user_id"],
            "pack_id": card["pack_id"],
            "session_id": card["session_id"],
            "fmv_cents": card["fmv_cents"],
            "buyback_bps": card["buyback_bps"],
            "amount_cents": amount,
            "created_at": now,
        },
    )
    if settled is None:
        raise ItemNotFound()
    event = {"item_id": item_id, "user_id": card["owner_user_id"], "claw_id": card["pack_id"]}
    event["amount"] = cents_to_number(amount)
    await emit(
        conn,
        caller.partner_id,
        EventType.BUYBACK_COMPLETED,
        event,
        now,
        has_endpoints=card["has_endpoints"],
    )
    return {"success": True, "amount": cents_to_number(amount)}
