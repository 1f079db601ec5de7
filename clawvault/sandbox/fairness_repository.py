"""All SQL of sandbox provably-fair state: the key's committed seeds (the production seed
repository on the sandbox table), the draws of its sessions and its realized odds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import RowMapping, Table, func, select

from clawvault.db.conn import Conn
from clawvault.fairness.repository import SeedRepository
from clawvault.sandbox.models import SandboxFairnessSeed, SandboxItem

SEEDS: Table = SandboxFairnessSeed.__table__  # type: ignore[assignment]


class SandboxFairnessRepository:
    def __init__(self, conn: Conn, key_id: int) -> None:
        self.conn = conn
        self.key_id = key_id

    @property
    def seeds(self) -> SeedRepository:
        return SeedRepository(self.conn, SEEDS, "key_id", self.key_id)

    async def session_draws(self, session_id: str) -> Sequence[RowMapping]:
        query = (
            select(
                SandboxItem.position,
                SandboxItem.card_id,
                SandboxItem.tier_id,
                SandboxItem.draw,
                SandboxItem.nonce,
                SandboxItem.drawn_key,
                SandboxItem.card_key,
                SandboxItem.fmv_cents.label("value_cents"),
                SandboxItem.odds_canonical,
                SandboxFairnessSeed.server_seed,
                SandboxFairnessSeed.server_seed_hash,
                SandboxFairnessSeed.client_seed,
                SandboxFairnessSeed.revealed_at,
            )
            .join(SandboxFairnessSeed, SandboxFairnessSeed.id == SandboxItem.seed_id)
            .where(
                SandboxItem.session_id == session_id,
                SandboxItem.key_id == self.key_id,
                SandboxFairnessSeed.key_id == self.key_id,
            )
            .order_by(SandboxItem.position)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def pulls_by_tier(self, pack_id: str, since: datetime | None) -> dict[int, int]:
        """This key's sandbox pulls of the pack by tier (sold items included: they were pulled)."""
        query = select(SandboxItem.tier_id, func.count()).where(
            SandboxItem.key_id == self.key_id, SandboxItem.pack_id == pack_id
        )
        if since is not None:
            query = query.where(SandboxItem.purchased_at >= since)
        rows = await self.conn.execute(query.group_by(SandboxItem.tier_id))
        return {int(tier): int(count) for tier, count in rows.all()}
