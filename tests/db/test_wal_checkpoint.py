"""SQLite: the WAL goes back into the database file from a thread of its own, not inside the
commits the writes of every process wait behind."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlalchemy import text

from clawvault.db.engine import Database
from clawvault.db.sqlite_checkpoint import WRITER_AUTOCHECKPOINT_PAGES
from clawvault.settings import Settings

ROWS = 2_000  # ~500 pages of 1 KB rows: a WAL far below the writers' own checkpoint


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "clawvault-wal-checkpoint"]


def test_written_pages_reach_the_database_file_without_a_checkpointing_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")

    async def main() -> tuple[int, int, int]:
        db = Database(url, settings)
        try:
            async with db.write() as conn:
                await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY, pad TEXT)"))
            await asyncio.sleep(0.3)  # the table's pages checkpointed
            before = path.stat().st_size
            async with db.write() as conn:
                autocheckpoint = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
                await conn.execute(
                    text("INSERT INTO t (x, pad) VALUES (:x, :pad)"),
                    [{"x": x, "pad": "p" * 1000} for x in range(ROWS)],
                )
            await asyncio.sleep(1.5)  # the checkpointer's passes: one every 0.2 s
            return before, path.stat().st_size, int(autocheckpoint)
        finally:
            await db.dispose()

    before, after, autocheckpoint = asyncio.run(main())
    # The commit left its ~500 pages in the WAL (its own checkpoint waits for 10,000); the
    # checkpointer thread copied them into the database file soon after.
    assert autocheckpoint == WRITER_AUTOCHECKPOINT_PAGES
    assert after >= before + ROWS * 1000
    assert checkpoint_threads() == []  # dispose stopped it
