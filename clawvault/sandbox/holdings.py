"""Sandbox inventory, card lookup and sellback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping

from clawvault.buyback.errors import ItemExpired, ItemNotFound
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.presenters import card_json
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox.catalog_repository import CatalogRepository
from clawvault.sandbox.context import SandboxTx, sandbox_read, sandbox_write
from clawvault.sandbox.domain import FORCEABLE_ERRORS
from clawvault.sandbox.events import announce
from clawvault.sandbox.models import SandboxItemStatus
from clawvault.sandbox.presenters import items_json
from clawvault.webhooks.domain import EventType


async def inventory(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    async def held(tx: SandboxTx) -> Sequence[RowMapping]:
        if not await tx.repo.user_exists(user_id):
            raise UserNotFound()
        return await tx.repo.held_items(user_id)

    holdings = await sandbox_read(runtime, unit, caller, held)

    async def catalog(conn: Conn) -> dict[str, RowMapping]:
        return await CatalogRepository(conn).cards(h["card_id"] for h in holdings)

    cards = await unit.read_catalog(catalog)
    return {"user_id": user_id, "items": items_json(holdings, cards)}


async def inventory_page(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    user_id: str,
    limit_raw: str | None,
    cursor: str | None,
) -> dict[str, Any]:
    """Sandbox inventories are small: one page holds them all (limit and cursor unused)."""
    return {**await inventory(runtime, unit, caller, user_id), "next_cursor": None}


async def card(runtime: Runtime, unit: Unit, caller: Caller, card_id: str) -> dict[str, Any]:
    """Catalog data, with the FMV this sandbox has set for the card, if any."""

    async def find(conn: Conn) -> RowMapping | None:
        return await InventoryRepository(conn).card(card_id)

    row = await unit.read_catalog(find)
    if row is None:
        raise CardNotFound()

    async def fmv(tx: SandboxTx) -> int | None:
        return await tx.repo.fmv_override(card_id)

    override = await sandbox_read(runtime, unit, caller, fmv)
    return card_json({**row, "fmv_cents": row["fmv_cents"] if override is None else override})  # type: ignore[arg-type]


async def sell_back(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    """Pays the buyback_price frozen at buy/init. Production-only errors happen only when a
    sandbox control asked for one (it is used up by that sellback; the item stays held)."""
    item_id = body.get("item_id")
    if not isinstance(item_id, str) or not item_id:
        raise ItemNotFound()

    async def sell(tx: SandboxTx) -> tuple[RowMapping, str | None]:
        found = await tx.repo.active_items([item_id])
        holding = found[0] if found else None
        if holding is None or holding["status"] != SandboxItemStatus.HELD.value:
            raise ItemNotFound()
        if tx.now >= as_utc(holding["buyback_expires_at"]):
            raise ItemExpired()
        forced = await tx.repo.take_forced_error(item_id)
        if forced is None and not await tx.repo.sell(holding["id"], tx.now):
            raise ItemNotFound()
        return holding, forced

    # The forced error's use commits with the unit; the error is told after it.
    holding, forced = await sandbox_write(runtime, unit, caller, sell)
    if forced is not None:
        raise FORCEABLE_ERRORS[forced]()
    amount = cents_to_number(holding["buyback_price_cents"])
    sold = {"item_id": item_id, "user_id": holding["user_id"], "claw_id": holding["pack_id"]}
    await announce(runtime, caller, EventType.BUYBACK_COMPLETED, {**sold, "amount": amount})
    return {"success": True, "amount": amount}
