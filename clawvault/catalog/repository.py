"""All SQL of catalog operations: packs and tiers, cards in pools, retirement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, insert, select, update

from clawvault.catalog.cards import CATALOG_COLUMNS
from clawvault.db.bulk import bulk_insert
from clawvault.db.conn import Conn
from clawvault.db.models import Card, CardStatus, Pack, PackTier
from clawvault.packs.domain import Tier

LOOKUP_CHUNK = 1_000
NEW_CARD_COLUMNS = (
    "id",
    *CATALOG_COLUMNS,
    "fmv_cents",
    "fmv_source",
    "fmv_as_of",
    "tier_id",
    "pool_key",
    "status",
    "updated_at",
)


def _tier_in_pack(pack_id: Any, fmv_cents: Any) -> Any:
    """The tier of `pack_id` whose band holds `fmv_cents` (NULL when none does)."""
    return (
        select(PackTier.tier_id)
        .where(
            PackTier.pack_id == pack_id,
            PackTier.lower_cents <= fmv_cents,
            PackTier.upper_cents > fmv_cents,
        )
        .order_by(PackTier.tier_id)
        .limit(1)
        .correlate(Card)
        .scalar_subquery()
    )


class CatalogRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def pack_refs(self) -> Sequence[RowMapping]:
        return (await self.conn.execute(select(Pack.id, Pack.slug))).mappings().all()

    async def add_pack(self, values: dict[str, Any], now: datetime) -> None:
        await self.conn.execute(insert(Pack).values(**values, ev_updated_at=now, created_at=now))

    async def update_pack(self, values: dict[str, Any]) -> None:
        pack_id = values["id"]
        changes = {k: v for k, v in values.items() if k != "id"}
        await self.conn.execute(update(Pack).where(Pack.id == pack_id).values(**changes))

    async def set_enable(self, pack_id: str, enable: bool) -> bool:
        result = await self.conn.execute(
            update(Pack).where(Pack.id == pack_id).values(enable=enable)
        )
        return result.rowcount == 1

    async def replace_tiers(self, pack_id: str, tiers: Iterable[Tier]) -> None:
        await self.conn.execute(delete(PackTier).where(PackTier.pack_id == pack_id))
        rows = [
            {
                "pack_id": pack_id,
                "tier_id": t.tier_id,
                "name": t.name,
                "color": t.color,
                "lower_cents": t.lower_cents,
                "upper_cents": t.upper_cents,
                "weight": t.weight,
            }
            for t in tiers
        ]
        if rows:
            await self.conn.execute(insert(PackTier), rows)

    async def retier_pack(self, pack_id: str, now: datetime) -> None:
        """Every card of the pack back into the band that holds its FMV (after a tier change)."""
        await self.conn.execute(
            update(Card)
            .where(Card.pack_id == pack_id)
            .values(tier_id=_tier_in_pack(pack_id, Card.fmv_cents), updated_at=now)
        )

    async def existing_cards(self, card_ids: Iterable[str]) -> dict[str, RowMapping]:
        ids = list(dict.fromkeys(card_ids))
        columns = [getattr(Card, name) for name in CATALOG_COLUMNS]
        found: dict[str, RowMapping] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            query = select(Card.id, Card.status, Card.fmv_cents, Card.fmv_as_of, *columns).where(
                Card.id.in_(ids[start : start + LOOKUP_CHUNK])
            )
            for row in (await self.conn.execute(query)).mappings().all():
                found[row["id"]] = row
        return found

    async def card_places(self, card_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(pack id, status) of each known card among card_ids."""
        ids = list(dict.fromkeys(card_ids))
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), LOOKUP_CHUNK):
            query = select(Card.id, Card.pack_id, Card.status).where(
                Card.id.in_(ids[start : start + LOOKUP_CHUNK])
            )
            for card_id, pack_id, status in (await self.conn.execute(query)).all():
                found[card_id] = (pack_id, status)
        return found

    async def insert_cards(self, rows: list[dict[str, Any]]) -> None:
        """New cards, each row with every column of NEW_CARD_COLUMNS."""
        await bulk_insert(self.conn, Card.__table__, NEW_CARD_COLUMNS, rows)  # type: ignore[arg-type]

    async def update_catalog(self, rows: list[dict[str, Any]], now: datetime) -> None:
        """New catalog values (and pack) for cards by id; the tier follows the card's pack."""
        if not rows:
            return
        statement = (
            update(Card)
            .where(Card.id == bindparam("c_id"))
            .values(
                **{name: bindparam(f"c_{name}") for name in CATALOG_COLUMNS},
                tier_id=_tier_in_pack(bindparam("c_pack_id"), Card.fmv_cents),
                updated_at=now,
            )
        )
        params = [
            {"c_id": row["id"], **{f"c_{name}": row[name] for name in CATALOG_COLUMNS}}
            for row in rows
        ]
        await self.conn.execute(statement, params)

    async def card(self, card_id: str) -> RowMapping | None:
        query = select(Card.id, Card.pack_id, Card.status, Card.fmv_cents).where(Card.id == card_id)
        return (await self.conn.execute(query)).mappings().first()

    async def move_available_card(self, card_id: str, pack_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(Card)
            .where(Card.id == card_id, Card.status == CardStatus.AVAILABLE.value)
            .values(pack_id=pack_id, tier_id=_tier_in_pack(pack_id, Card.fmv_cents), updated_at=now)
        )
        return result.rowcount == 1

    async def retire_available_card(self, card_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(Card)
            .where(Card.id == card_id, Card.status == CardStatus.AVAILABLE.value)
            .values(status=CardStatus.RETIRED.value, updated_at=now)
        )
        return result.rowcount == 1
