"""The fixed-window request counters, one row per (API key, window)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from clawvault.db.conn import Conn
from clawvault.db.models import RateLimitWindow


class RateLimitRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def count_request(self, key_hash: str, window_start: int) -> int:
        """Adds one request to the window and returns its count, in one statement."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        table = RateLimitWindow.__table__
        statement = (
            dialect.insert(table)
            .values(key_hash=key_hash, window_start=window_start, count=1)
            .on_conflict_do_update(
                index_elements=["key_hash", "window_start"],
                set_={"count": table.c.count + 1},
            )
            .returning(table.c.count)
        )
        return int((await self.conn.execute(statement)).scalar_one())

    async def purge_before(self, window_start: int) -> None:
        await self.conn.execute(
            delete(RateLimitWindow).where(RateLimitWindow.window_start < window_start)
        )
