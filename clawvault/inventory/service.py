from __future__ import annotations

from typing import Any

from clawvault.core.runtime import Runtime
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.presenters import card_json, item_json
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.auth import Caller


async def inventory(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        repo = InventoryRepository(conn)
        items = await repo.held_items(caller.partner_id, user_id)
        # Someone holding items is known: only an empty inventory needs the second question.
        if not items and not await repo.user_exists(caller.partner_id, user_id):
            raise UserNotFound()
    return {"user_id": user_id, "items": [item_json(i) for i in items]}


async def card(runtime: Runtime, card_id: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        row = await InventoryRepository(conn).card(card_id)
    if row is None:
        raise CardNotFound()
    return card_json(row)
