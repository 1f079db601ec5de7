"""Growth checks: does throughput hold as pools, inventories and contention grow?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run(
    db: str, url: str, server: Any, fx: Any, s: Any, log: Callable[[str], None]
) -> dict[str, Any]:
    return {}
