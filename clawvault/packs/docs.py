"""OpenAPI documentation of the pack routes (§2.1, §3.1, §3.11): the answers come from
packs.schemas; the exact error strings are written here."""

from __future__ import annotations

from clawvault.core.openapi import errors, merge, ok
from clawvault.core.schemas import list_schema
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.schemas import ChaseCard, Pack

AVAILABLE = ok(list_schema(Pack), description="Every pack on the platform")
CHASE = merge(
    ok(list_schema(ChaseCard), description="The pack's most valuable cards"),
    errors(404, PackNotFoundByPath.message),
)
