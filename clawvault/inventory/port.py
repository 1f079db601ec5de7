"""What an inventory route needs of its environment: production (`inventory.service`) and the
sandbox (`sandbox.holdings`) each implement it; the route prefix picks one
(`clawvault.variants`)."""

from __future__ import annotations

from typing import Any, Protocol

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller


class InventoryPort(Protocol):
    async def inventory(
        self, runtime: Runtime, unit: Unit, caller: Caller, user_id: str
    ) -> dict[str, Any]:
        """GET inventory/{user_id}: every item the user holds."""

    async def inventory_page(
        self,
        runtime: Runtime,
        unit: Unit,
        caller: Caller,
        user_id: str,
        limit_raw: str | None,
        cursor: str | None,
    ) -> dict[str, Any]:
        """GET inventory/{user_id}?limit=&cursor=: one page and the next page's cursor."""

    async def card(
        self, runtime: Runtime, unit: Unit, caller: Caller, card_id: str
    ) -> dict[str, Any]:
        """GET card/{item_id}."""
