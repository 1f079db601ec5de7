"""The sandbox's pack listing: production's packs and cache, under the looser sandbox stock
rule (a pack is in stock while any of its tiers has a card: a sandbox pull draws among the
tiers that have one)."""

from __future__ import annotations

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.packs.service import StockRule, listing_json
from clawvault.sandbox.catalog_repository import CatalogRepository


async def _without_any_stock(conn: Conn, pack_ids: list[str]) -> set[str]:
    return set(pack_ids) - await CatalogRepository(conn).packs_with_any_stock(pack_ids)


ANY_TIER_STOCKED = StockRule("sandbox", _without_any_stock)


async def available_json(runtime: Runtime, platform: str) -> bytes:
    return await listing_json(runtime, platform, ANY_TIER_STOCKED)
