"""All SQL of committed seeds, receipts and realized odds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import RowMapping, Table, Update, bindparam, func, select, update

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts, is_postgres
from clawvault.db.models import Card, FairnessSeed, Pull, PurchaseSession, is_available


@cache
def reserve_nonces_statement(table: Table, owner_column: str) -> Update:
    """Built once per seed table (a pull runs it: building it each time cost more than running
    it)."""
    return (
        update(table)
        .where(
            table.c[owner_column] == bindparam("owner_id"),
            table.c.user_id == bindparam("seed_user_id"),
            table.c.revealed_at.is_(None),
        )
        .values(next_nonce=table.c.next_nonce + bindparam("count"))
        .returning(table.c.id, table.c.server_seed, table.c.client_seed, table.c.next_nonce)
    )


class SeedRepository:
    """The committed seeds of one owner, by user: a partner's in fairness_seeds, a sandbox
    key's in sandbox_fairness_seeds (same columns, the owner column differs)."""

    def __init__(self, conn: Conn, table: Table, owner_column: str, owner_id: int):
        self.conn = conn
        self.table = table
        self.owner = table.c[owner_column]
        self.owner_id = owner_id

    @classmethod
    def of_partner(cls, conn: Conn, partner_id: int) -> SeedRepository:
        return cls(conn, FairnessSeed.__table__, "partner_id", partner_id)  # type: ignore[arg-type]

    async def active_seed(self, user_id: str, *, lock: bool = False) -> RowMapping | None:
        query = select(self.table).where(
            self.owner == self.owner_id,
            self.table.c.user_id == user_id,
            self.table.c.revealed_at.is_(None),
        )
        if lock and is_postgres(self.conn):
            query = query.with_for_update()
        return (await self.conn.execute(query)).mappings().first()

    async def add_seed(self, user_id: str, values: dict[str, Any]) -> None:
        """Ignored when the user already has an active seed (a concurrent request made it)."""
        row = {self.owner.name: self.owner_id, "user_id": user_id, **values}
        await insert_ignoring_conflicts(self.conn, self.table, row)

    async def reserve_active_nonces(self, user_id: str, count: int) -> lean.Row | None:
        """Takes `count` consecutive nonces of the user's active seed, in one statement; returns
        the seed's id, server and client seeds, and its `next_nonce` after the reservation
        (None: no active seed). The row stays locked until the transaction ends, so two pulls
        of one user never share a nonce."""
        statement = reserve_nonces_statement(self.table, self.owner.name)
        params = {"owner_id": self.owner_id, "seed_user_id": user_id, "count": count}
        return (await lean.execute(self.conn, statement, params)).first()

    async def set_client_seed(self, seed_id: int, client_seed: str) -> None:
        await self.conn.execute(
            update(self.table)
            .where(self.table.c.id == seed_id, self.owner == self.owner_id)
            .values(client_seed=client_seed)
        )

    async def reveal(self, seed_id: int, now: datetime) -> None:
        await self.conn.execute(
            update(self.table)
            .where(self.table.c.id == seed_id, self.owner == self.owner_id)
            .values(revealed_at=now)
        )


class FairnessRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def session(self, session_id: str, partner_id: int) -> RowMapping | None:
        query = select(PurchaseSession.__table__).where(
            PurchaseSession.id == session_id, PurchaseSession.partner_id == partner_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def session_draws(self, session_id: str) -> Sequence[RowMapping]:
        query = (
            select(
                Pull.position,
                Pull.card_id,
                Pull.tier_id,
                Pull.draw,
                Pull.nonce,
                Pull.drawn_key,
                Pull.card_key,
                Pull.value_cents,
                FairnessSeed.server_seed,
                FairnessSeed.server_seed_hash,
                FairnessSeed.client_seed,
                FairnessSeed.revealed_at,
            )
            .join(FairnessSeed, FairnessSeed.id == Pull.seed_id)
            .where(Pull.session_id == session_id)
            .order_by(Pull.position)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def pulls_by_tier(self, pack_id: str, since: datetime | None) -> dict[int, int]:
        query = select(Pull.tier_id, func.count()).where(Pull.pack_id == pack_id)
        if since is not None:
            query = query.where(Pull.created_at >= since)
        rows = await self.conn.execute(query.group_by(Pull.tier_id))
        return {int(tier): int(count) for tier, count in rows.all()}

    async def available_by_tier(self, pack_id: str) -> dict[int, int]:
        query = (
            select(Card.tier_id, func.count())
            .where(Card.pack_id == pack_id, is_available())
            .group_by(Card.tier_id)
        )
        rows = await self.conn.execute(query)
        return {int(tier): int(count) for tier, count in rows.all() if tier is not None}
