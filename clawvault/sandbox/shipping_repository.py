"""All SQL on sandbox quotes and orders, scoped by the sandbox key's id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from clawvault.db.conn import Conn
from clawvault.sandbox.models import (
    SandboxItem,
    SandboxItemStatus,
    SandboxOrder,
    SandboxOrderItem,
    SandboxQuote,
)


class SandboxShippingRepository:
    def __init__(self, conn: Conn, key_id: int) -> None:
        self.conn = conn
        self.key_id = key_id

    async def add_quote(self, values: dict[str, Any]) -> None:
        await self.conn.execute(insert(SandboxQuote).values(key_id=self.key_id, **values))

    async def quote(self, quote_id: str) -> RowMapping | None:
        query = select(SandboxQuote.__table__).where(
            SandboxQuote.id == quote_id, SandboxQuote.key_id == self.key_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def move_items_into_order(
        self, item_row_ids: list[int], user_id: str, order_id: str, now: datetime
    ) -> int:
        result = await self.conn.execute(
            update(SandboxItem)
            .where(
                SandboxItem.id.in_(item_row_ids),
                SandboxItem.key_id == self.key_id,
                SandboxItem.user_id == user_id,
                SandboxItem.status == SandboxItemStatus.HELD.value,
            )
            .values(status=SandboxItemStatus.SHIPPING.value, order_id=order_id, updated_at=now)
        )
        return int(result.rowcount)

    async def add_order(self, values: dict[str, Any], items: list[dict[str, Any]]) -> None:
        await self.conn.execute(insert(SandboxOrder).values(key_id=self.key_id, **values))
        await self.conn.execute(
            insert(SandboxOrderItem), [{"key_id": self.key_id, **item} for item in items]
        )

    async def order(self, order_id: str) -> RowMapping | None:
        query = select(SandboxOrder.__table__).where(
            SandboxOrder.id == order_id, SandboxOrder.key_id == self.key_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def order_items(self, order_id: str) -> Sequence[RowMapping]:
        query = (
            select(
                SandboxOrderItem.card_id,
                SandboxOrderItem.name,
                SandboxOrderItem.image,
                SandboxOrderItem.back_image,
            )
            .where(SandboxOrderItem.order_id == order_id, SandboxOrderItem.key_id == self.key_id)
            .order_by(SandboxOrderItem.card_id)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def update_order(self, order_id: str, values: dict[str, Any]) -> None:
        await self.conn.execute(
            update(SandboxOrder)
            .where(SandboxOrder.id == order_id, SandboxOrder.key_id == self.key_id)
            .values(values)
        )

    async def set_order_items_status(
        self, order_id: str, status: SandboxItemStatus, now: datetime
    ) -> None:
        await self.conn.execute(
            update(SandboxItem)
            .where(
                SandboxItem.order_id == order_id,
                SandboxItem.key_id == self.key_id,
                SandboxItem.status == SandboxItemStatus.SHIPPING.value,
            )
            .values(status=status.value, updated_at=now)
        )

    async def release_order_items(self, order_id: str, now: datetime) -> None:
        """A stopped order gives its items back to the user's inventory."""
        await self.conn.execute(
            update(SandboxItem)
            .where(
                SandboxItem.order_id == order_id,
                SandboxItem.key_id == self.key_id,
                SandboxItem.status == SandboxItemStatus.SHIPPING.value,
            )
            .values(status=SandboxItemStatus.HELD.value, order_id=None, updated_at=now)
        )
