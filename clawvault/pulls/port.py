"""What a pull route needs of its environment: production (`pulls.service`) and the sandbox
(`sandbox.pulls`) each implement it; the route prefix picks one (`clawvault.variants`)."""

from __future__ import annotations

from typing import Any, Protocol

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller


class PullsPort(Protocol):
    async def buy(
        self, runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST vm/buy/init: draw, allocate, record and charge a pull."""

    async def status(
        self, runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST vm/buy/status: a pull session and its items."""

    async def recent_pulls(
        self, runtime: Runtime, unit: Unit, caller: Caller, pack_ids: list[str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """GET vm/recent-pulls, newest first."""
