"""Claims of background jobs: a conditional update decides which process runs each turn."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from clawvault.db.conn import Conn
from clawvault.db.dialect import insert_ignoring_conflicts
from clawvault.db.models import ScheduledJob


class JobRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def ensure(self, name: str, now: datetime) -> None:
        await insert_ignoring_conflicts(
            self.conn,
            ScheduledJob.__table__,  # type: ignore[arg-type]
            {"name": name, "next_run_at": now, "runs": 0},
        )

    async def claim(self, name: str, now: datetime, interval: timedelta) -> int | None:
        """The turn number when this caller won the job's current turn, else None. Whoever
        moves next_run_at forward first wins; every other process sees no row to update."""
        result = await self.conn.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == name, ScheduledJob.next_run_at <= now)
            .values(
                next_run_at=now + interval,
                runs=ScheduledJob.runs + 1,
                last_started_at=now,
            )
            .returning(ScheduledJob.runs)
        )
        runs = result.scalar_one_or_none()
        return None if runs is None else int(runs)

    async def postpone(self, name: str, until: datetime) -> None:
        """No turn of the job before `until` (a later next_run_at stays)."""
        await self.conn.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == name, ScheduledJob.next_run_at < until)
            .values(next_run_at=until)
        )

    async def record_error(self, name: str, error: str | None) -> None:
        await self.conn.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == name)
            .values(last_error=None if error is None else error[:500])
        )
