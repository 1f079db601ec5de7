"""Writes the demo catalog into an empty database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import RowMapping, func, insert, select

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.dialect import serialize_setup
from clawvault.db.models import CATALOG_TABLES, Card, Pack, PackTier
from clawvault.db.unit import Unit
from clawvault.demo.catalog import card_rows, pack_rows, tier_rows
from clawvault.demo.images import card_svg
from clawvault.inventory.errors import CardNotFound
from clawvault.inventory.repository import InventoryRepository
from clawvault.packs.service import refresh_evs

BATCH = 5_000


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, size)):
        yield batch


async def catalog_is_empty(runtime: Runtime, unit: Unit) -> bool:
    async def read(conn: Conn) -> bool:
        return int((await conn.execute(select(func.count()).select_from(Pack))).scalar_one()) == 0

    return await unit.read(read)


async def seed_demo(
    runtime: Runtime,
    unit: Unit,
    cards: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> int | None:
    """Seeds packs, tiers and about `cards` cards into an empty catalog, with the packs' EV;
    returns how many cards were written, or None when the catalog is not empty. Processes
    that start together on one database seed it once: the emptiness check and the writes are
    one serialized transaction."""
    now = runtime.clock()

    async def work(conn: Conn) -> int | None:  # all of the catalog or none
        await serialize_setup(conn)
        if (await conn.execute(select(func.count()).select_from(Pack))).scalar_one():
            return None
        pictures = demo_pictures_url(runtime.settings.public_base_url)
        packs = pack_rows(seed, now, pictures)
        await conn.execute(insert(Pack), packs)
        await conn.execute(insert(PackTier), tier_rows(seed))
        written = 0
        for batch in _batches(card_rows(seed, cards, now, pictures), BATCH):
            await conn.execute(insert(Card), batch)
            written += len(batch)
            if progress is not None:
                progress(len(batch))
        await refresh_evs(conn, [pack["id"] for pack in packs], runtime.clock())
        return written

    written = await unit.write(work, attempts=1)  # one attempt: progress counts as it writes
    if written is not None:
        await runtime.db.refresh_planner_statistics(*CATALOG_TABLES)
    return written


DEMO_PREFIX = "/demo"


def demo_pictures_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + DEMO_PREFIX


async def card_picture(runtime: Runtime, unit: Unit, card_id: str, side: str) -> str:
    async def read(conn: Conn) -> RowMapping | None:
        return await InventoryRepository(conn).card(card_id)

    card = await unit.read(read)
    if card is None:
        raise CardNotFound()
    return card_svg(card["name"], card["attributes"], side)
