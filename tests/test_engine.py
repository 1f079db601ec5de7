"""SQLite group commit: writes that queue up share a commit, yet each stands or falls alone and
is committed before its block returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event, text

from clawvault.db.engine import Database
from clawvault.settings import Settings


def test_queued_sqlite_writes_share_commits_and_fail_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'group.db'}"
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")
    db, observer = Database(url, settings), Database(url, settings)
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))

    async def visible(x: int) -> bool:
        async with observer.read() as conn:
            found = await conn.execute(text("SELECT 1 FROM t WHERE x = :x"), {"x": x})
            return found.first() is not None

    async def write(x: int) -> bool:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
            await asyncio.sleep(0)  # let the others queue up behind this one
            if x % 3 == 0:
                raise ValueError(x)
        return await visible(x)  # acknowledged means committed: another connection sees it

    async def main() -> tuple[list[bool | BaseException], set[int]]:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        commits.clear()
        results = await asyncio.gather(*(write(x) for x in range(30)), return_exceptions=True)
        async with observer.read() as conn:
            stored = {row[0] for row in await conn.execute(text("SELECT x FROM t"))}
        await db.dispose()
        await observer.dispose()
        return results, stored

    results, stored = asyncio.run(main())
    assert stored == {x for x in range(30) if x % 3}
    for x, result in enumerate(results):
        if x % 3 == 0:
            assert isinstance(result, ValueError)
        else:
            assert result is True
    assert 0 < len(commits) < 20  # 20 successful writes, fewer commits
