"""What a shipping route needs of its environment: production (`shipping.service`) and the
sandbox (`sandbox.shipping`) each implement it; the route prefix picks one
(`clawvault.variants`)."""

from __future__ import annotations

from typing import Any, Protocol

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller


class ShippingPort(Protocol):
    async def quote(
        self, runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST ship/quote: rates for shipping items to an address."""

    async def request(
        self, runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST ship/request: an order from a quote's rate."""

    async def get_order(
        self, runtime: Runtime, unit: Unit, caller: Caller, order_id: str
    ) -> dict[str, Any]:
        """GET ship/order/{order_id}."""
