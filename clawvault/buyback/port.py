"""What the sellback route needs of its environment: production (`buyback.service`) and the
sandbox (`sandbox.holdings`) each implement it; the route prefix picks one
(`clawvault.variants`)."""

from __future__ import annotations

from typing import Any, Protocol

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller


class BuybackPort(Protocol):
    async def sell_back(
        self, runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST vm/buyback: pay the item's buyback price and return its card to the pool."""
