"""What a fairness route needs of its environment: production (`fairness.service`) and the
sandbox (`sandbox.fairness`) each implement it; the route prefix picks one
(`clawvault.variants`)."""

from __future__ import annotations

from typing import Any, Protocol

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller


class FairnessPort(Protocol):
    async def commitment(
        self, runtime: Runtime, unit: Unit, caller: Caller, user_id: str
    ) -> dict[str, Any]:
        """The hash of the user's active server seed, and its client seed and next nonce."""

    async def set_client_seed(
        self, runtime: Runtime, unit: Unit, caller: Caller, user_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The user's client seed for the pulls to come."""

    async def rotate(
        self, runtime: Runtime, unit: Unit, caller: Caller, user_id: str
    ) -> dict[str, Any]:
        """Reveals the active server seed and commits a new one."""

    async def receipt(
        self, runtime: Runtime, unit: Unit, caller: Caller, session_id: str
    ) -> dict[str, Any]:
        """A pull's fairness receipt."""

    async def published_odds(
        self, runtime: Runtime, unit: Unit, caller: Caller, pack_id: str
    ) -> dict[str, Any]:
        """A pack's published odds beside the observed tier frequencies."""
