"""What the pack listing needs of its environment: production (`packs.service`) and the sandbox
(`sandbox.packs`) each implement it; the route prefix picks one (`clawvault.variants`)."""

from __future__ import annotations

from typing import Protocol

from clawvault.core.runtime import Runtime


class PacksPort(Protocol):
    async def available_json(self, runtime: Runtime, platform: str) -> bytes:
        """GET vm/available as the JSON bytes of the answer."""
