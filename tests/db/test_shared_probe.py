"""A probe shared by concurrent askers (clawvault.db.shared_probe, PostgreSQL's data_version):
an asker only ever gets the outcome of a probe sent after it asked, so no commit that finished
before it asked is missed; askers who arrive while a probe is out share the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest
from sqlalchemy import text

from clawvault.db.engine import Database
from clawvault.db.shared_probe import SharedProbe
from clawvault.settings import Settings


class Gate:
    """A probe whose answers the test releases one at a time: answer n is f"t{n}"."""

    def __init__(self) -> None:
        self.sent = 0
        self.released = asyncio.Event()
        self.fail_next = False

    async def fetch(self) -> Hashable:
        self.sent += 1
        number = self.sent
        await self.released.wait()
        self.released.clear()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("gone")
        return f"t{number}"

    async def release(self) -> None:
        self.released.set()
        for _ in range(5):  # let the answer reach its askers and the next round be sent
            await asyncio.sleep(0)


def test_an_asker_never_takes_a_probe_already_in_flight() -> None:
    async def main() -> None:
        gate = Gate()
        probe = SharedProbe(gate.fetch)
        first = asyncio.create_task(probe.token())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert gate.sent == 1  # t1 is out
        later = [asyncio.create_task(probe.token()) for _ in range(20)]  # arrive while t1 is out
        await asyncio.sleep(0)
        await gate.release()
        assert first.done() and first.result() == "t1"
        assert not any(task.done() for task in later)  # t1 was sent before they asked
        assert gate.sent == 2  # one round for all twenty
        await gate.release()
        assert [task.result() for task in later] == ["t2"] * 20
        assert probe.rounds == 2

    asyncio.run(main())


def test_a_failed_probe_fails_its_askers_and_the_next_ask_probes_again() -> None:
    async def main() -> None:
        gate = Gate()
        probe = SharedProbe(gate.fetch)
        gate.fail_next = True
        asking = asyncio.create_task(probe.token())
        await asyncio.sleep(0)
        await gate.release()
        with pytest.raises(ConnectionError):
            asking.result()
        asking = asyncio.create_task(probe.token())
        await asyncio.sleep(0)
        await gate.release()
        assert asking.result() == "t2"

    asyncio.run(main())


def test_a_cancelled_asker_leaves_the_round_to_the_others() -> None:
    async def main() -> None:
        gate = Gate()
        probe = SharedProbe(gate.fetch)
        quitter = asyncio.create_task(probe.token())
        stayer = asyncio.create_task(probe.token())
        await asyncio.sleep(0)
        quitter.cancel()
        await asyncio.sleep(0)
        await gate.release()
        assert quitter.cancelled()
        assert stayer.result() == "t1"

    asyncio.run(main())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgres_tokens_are_shared_and_change_with_every_commit(settings: Settings) -> None:
    """Real askers on PostgreSQL: 64 at once cost far fewer than 64 round trips, and a token
    asked after a commit never equals one asked before it."""

    async def main() -> None:
        db = Database(settings.database_url, settings)
        try:
            probe = db._snapshots
            tokens = await asyncio.gather(*(db.data_version() for _ in range(64)))
            assert None not in tokens
            assert probe.rounds <= 2  # the first round, and the one for all who came meanwhile
            before = await db.data_version()
            async with db.write() as conn:
                await conn.execute(text("CREATE TABLE committed_t (x integer)"))
            after = await asyncio.gather(*(db.data_version() for _ in range(8)))
            assert before not in after
        finally:
            await db.dispose()

    asyncio.run(main())
