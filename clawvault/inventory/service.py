from __future__ import annotations

from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.presenters import card_json, item_json
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox import holdings as sandbox


async def inventory(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    if caller.is_sandbox:
        return await sandbox.inventory(runtime, caller, user_id)
    async with runtime.db.read() as conn:
        repo = InventoryRepository(conn)
        if not await repo.user_exists(caller.partner_id, user_id):
            raise UserNotFound()
        items = await repo.held_items(caller.partner_id, user_id)
    return {"user_id": user_id, "items": [item_json(i) for i in items]}


async def card(runtime: Runtime, card_id: str, caller: Caller | None = None) -> dict[str, Any]:
    if caller is not None and caller.is_sandbox:
        return await sandbox.card(runtime, caller, card_id)
    async with runtime.db.read() as conn:
        row = await InventoryRepository(conn).card(card_id)
    if row is None:
        raise CardNotFound()
    return card_json(row)
