"""All SQL on sandbox state (clock, users, pulls, holdings, FMV overrides, forced errors).
Every statement is scoped by the sandbox key's id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts, is_postgres
from clawvault.sandbox.models import (
    SANDBOX_TABLES,
    SandboxClock,
    SandboxFmv,
    SandboxForcedError,
    SandboxItem,
    SandboxItemStatus,
    SandboxSession,
    SandboxUser,
)

ACTIVE = SandboxItem.status != SandboxItemStatus.SOLD.value


async def upsert(
    conn: Conn,
    table: Table,
    values: dict[str, Any],
    keys: list[str],
    changes: dict[str, Any],
) -> None:
    dialect_insert = postgresql.insert if is_postgres(conn) else sqlite.insert
    statement = dialect_insert(table).values(values)
    await conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))


class SandboxRepository:
    def __init__(self, conn: Conn, key_id: int) -> None:
        self.conn = conn
        self.key_id = key_id

    # clock
    async def clock_offset(self) -> float:
        query = select(SandboxClock.offset_seconds).where(SandboxClock.key_id == self.key_id)
        return float((await self.conn.execute(query)).scalar_one_or_none() or 0.0)

    async def advance_clock(self, seconds: float) -> None:
        await upsert(
            self.conn,
            SandboxClock.__table__,  # type: ignore[arg-type]
            {"key_id": self.key_id, "offset_seconds": seconds},
            ["key_id"],
            {"offset_seconds": SandboxClock.offset_seconds + seconds},
        )

    async def lock_key(self) -> None:
        """Serializes this key's pulls (a row lock until the transaction ends), so two pulls of
        one key never draw the same card; other keys are not held up."""
        await upsert(
            self.conn,
            SandboxClock.__table__,  # type: ignore[arg-type]
            {"key_id": self.key_id, "offset_seconds": 0.0},
            ["key_id"],
            {"offset_seconds": SandboxClock.offset_seconds},
        )

    # users
    async def ensure_user(self, user_id: str, now: datetime) -> None:
        await insert_ignoring_conflicts(
            self.conn,
            SandboxUser.__table__,  # type: ignore[arg-type]
            {"key_id": self.key_id, "user_id": user_id, "created_at": now},
        )

    async def user_exists(self, user_id: str) -> bool:
        query = select(SandboxUser.user_id).where(
            SandboxUser.key_id == self.key_id, SandboxUser.user_id == user_id
        )
        return (await self.conn.execute(query)).first() is not None

    # pulls and holdings
    async def add_session(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(SandboxSession).values(key_id=self.key_id, **values))

    async def add_items(self, rows: list[dict[str, Any]]) -> None:
        await self.conn.execute(insert(SandboxItem), [{"key_id": self.key_id, **r} for r in rows])

    async def session(self, session_id: str) -> RowMapping | None:
        query = select(SandboxSession.__table__).where(
            SandboxSession.id == session_id, SandboxSession.key_id == self.key_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def session_items(self, session_id: str) -> Sequence[RowMapping]:
        query = (
            select(SandboxItem.__table__)
            .where(SandboxItem.session_id == session_id, SandboxItem.key_id == self.key_id)
            .order_by(SandboxItem.position)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def active_card_ids(self, pack_id: str) -> set[str]:
        query = select(SandboxItem.card_id).where(
            SandboxItem.key_id == self.key_id, SandboxItem.pack_id == pack_id, ACTIVE
        )
        return set((await self.conn.execute(query)).scalars().all())

    async def held_items(self, user_id: str) -> Sequence[RowMapping]:
        query = (
            select(SandboxItem.__table__)
            .where(
                SandboxItem.key_id == self.key_id,
                SandboxItem.user_id == user_id,
                SandboxItem.status == SandboxItemStatus.HELD.value,
            )
            .order_by(SandboxItem.purchased_at.desc(), SandboxItem.card_id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def active_items(self, card_ids: list[str]) -> Sequence[RowMapping]:
        """This key's current holdings of these cards (held, or in an order)."""
        query = (
            select(SandboxItem.__table__)
            .where(SandboxItem.key_id == self.key_id, SandboxItem.card_id.in_(card_ids), ACTIVE)
            .order_by(SandboxItem.card_id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def sell(self, item_row_id: int, now: datetime) -> bool:
        result = await self.conn.execute(
            update(SandboxItem)
            .where(
                SandboxItem.id == item_row_id,
                SandboxItem.key_id == self.key_id,
                SandboxItem.status == SandboxItemStatus.HELD.value,
            )
            .values(status=SandboxItemStatus.SOLD.value, updated_at=now)
        )
        return result.rowcount == 1

    async def recent(self, pack_ids: list[str] | None, limit: int) -> Sequence[RowMapping]:
        query = (
            select(SandboxItem.__table__)
            .where(SandboxItem.key_id == self.key_id)
            .order_by(SandboxItem.id.desc())
            .limit(limit)
        )
        if pack_ids is not None:
            query = query.where(SandboxItem.pack_id.in_(pack_ids))
        return (await self.conn.execute(query)).mappings().all()

    async def expiring(
        self, now: datetime, horizon: datetime, after_id: int, limit: int
    ) -> Sequence[RowMapping]:
        """Held items whose sellback window closes after `now` and by `horizon`, by id."""
        query = (
            select(SandboxItem.__table__)
            .where(
                SandboxItem.key_id == self.key_id,
                SandboxItem.status == SandboxItemStatus.HELD.value,
                SandboxItem.buyback_expires_at > now,
                SandboxItem.buyback_expires_at <= horizon,
                SandboxItem.id > after_id,
            )
            .order_by(SandboxItem.id)
            .limit(limit)
        )
        return (await self.conn.execute(query)).mappings().all()

    # FMV overrides
    async def fmv_overrides(self) -> dict[str, int]:
        query = select(SandboxFmv.card_id, SandboxFmv.fmv_cents).where(
            SandboxFmv.key_id == self.key_id
        )
        return {card_id: int(fmv) for card_id, fmv in (await self.conn.execute(query)).all()}

    async def fmv_override(self, card_id: str) -> int | None:
        query = select(SandboxFmv.fmv_cents).where(
            SandboxFmv.key_id == self.key_id, SandboxFmv.card_id == card_id
        )
        value = (await self.conn.execute(query)).scalar_one_or_none()
        return None if value is None else int(value)

    async def set_fmv(self, card_id: str, fmv_cents: int, now: datetime) -> None:
        await upsert(
            self.conn,
            SandboxFmv.__table__,  # type: ignore[arg-type]
            {"key_id": self.key_id, "card_id": card_id, "fmv_cents": fmv_cents, "set_at": now},
            ["key_id", "card_id"],
            {"fmv_cents": fmv_cents, "set_at": now},
        )

    # forced sellback errors
    async def force_error(self, card_id: str, error: str, now: datetime) -> None:
        await upsert(
            self.conn,
            SandboxForcedError.__table__,  # type: ignore[arg-type]
            {"key_id": self.key_id, "card_id": card_id, "error": error, "created_at": now},
            ["key_id", "card_id"],
            {"error": error, "created_at": now},
        )

    async def take_forced_error(self, card_id: str) -> str | None:
        where = (SandboxForcedError.key_id == self.key_id, SandboxForcedError.card_id == card_id)
        error = (
            await self.conn.execute(select(SandboxForcedError.error).where(*where))
        ).scalar_one_or_none()
        if error is not None:
            await self.conn.execute(delete(SandboxForcedError).where(*where))
        return error

    # reset
    async def reset(self) -> None:
        for table in SANDBOX_TABLES:
            await self.conn.execute(delete(table).where(table.c.key_id == self.key_id))
