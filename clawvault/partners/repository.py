from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, insert, select, update

from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts
from clawvault.db.models import ApiKey, Partner


@dataclass(frozen=True)
class KeyOwner:
    partner_id: int
    environment: str
    key_id: int


class PartnerRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def find_key_owner(self, key_hash: str) -> KeyOwner | None:
        row = (
            await self.conn.execute(
                select(ApiKey.partner_id, ApiKey.environment, ApiKey.id).where(
                    ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None)
                )
            )
        ).first()
        return KeyOwner(row.partner_id, row.environment, row.id) if row else None

    async def partner_id_by_name(self, name: str) -> int | None:
        return (
            await self.conn.execute(select(Partner.id).where(Partner.name == name))
        ).scalar_one_or_none()

    async def add_partner(self, name: str, now: datetime) -> int:
        result = await self.conn.execute(
            insert(Partner).values(name=name, created_at=now).returning(Partner.id)
        )
        return int(result.scalar_one())

    async def add_partner_if_absent(self, name: str, now: datetime) -> int:
        """The partner's id, creating it unless it exists (or another process creates it at
        the same moment)."""
        await insert_ignoring_conflicts(
            self.conn,
            Partner.__table__,  # type: ignore[arg-type]
            {"name": name, "created_at": now},
        )
        partner_id = await self.partner_id_by_name(name)
        assert partner_id is not None
        return partner_id

    async def add_key(
        self, partner_id: int, key_hash: str, prefix: str, environment: str, now: datetime
    ) -> None:
        await self.conn.execute(
            insert(ApiKey).values(
                partner_id=partner_id,
                key_hash=key_hash,
                key_prefix=prefix,
                environment=environment,
                created_at=now,
            )
        )


class PartnerAdminRepository:
    """The operator's view of partners and keys (the admin API)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def partners(self) -> list[RowMapping]:
        query = select(Partner.id, Partner.name, Partner.created_at).order_by(Partner.id)
        return list((await self.conn.execute(query)).mappings().all())

    async def keys(self, partner_id: int) -> list[RowMapping]:
        query = (
            select(
                ApiKey.id,
                ApiKey.key_prefix,
                ApiKey.environment,
                ApiKey.created_at,
                ApiKey.revoked_at,
            )
            .where(ApiKey.partner_id == partner_id)
            .order_by(ApiKey.id)
        )
        return list((await self.conn.execute(query)).mappings().all())

    async def revoke_key(self, key_id: int, now: datetime) -> RowMapping | None:
        """Revokes a key (once); the key's row, or None when there is no such key."""
        await self.conn.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        query = select(ApiKey.id, ApiKey.partner_id, ApiKey.revoked_at).where(ApiKey.id == key_id)
        return (await self.conn.execute(query)).mappings().first()
