"""One probe answering many concurrent askers (PostgreSQL's `Database.data_version`).

A data_version token must reflect every commit that finished before it was asked for. A probe
(one round trip) that was sent after an asker asked does: so an asker never takes the outcome
of a probe already in flight when it arrived, but waits for the next one, which starts as soon
as the one in flight ends and answers everyone who arrived meanwhile. Under load, one round
trip answers the dozens of inventory requests that arrived during the previous one, instead of
one round trip (and one pooled connection) each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable


class SharedProbe:
    def __init__(self, fetch: Callable[[], Awaitable[Hashable]]) -> None:
        self._fetch = fetch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[Hashable] | None = None  # the round not yet sent
        self._runner: asyncio.Task[None] | None = None
        self.rounds = 0  # probes sent (for tests and profiles)

    async def token(self) -> Hashable:
        """The outcome of a probe sent after this call began (its error, if it failed)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): nothing of the old one is usable
            self._loop, self._next, self._runner = loop, None, None
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if self._runner is None:
            self._runner = loop.create_task(self._run())
        # shield: an asker that is cancelled leaves the round to the others.
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        sending: asyncio.Future[Hashable] | None = None
        try:
            while self._next is not None:
                sending, self._next = self._next, None
                self.rounds += 1
                try:
                    token = await self._fetch()
                except Exception as exc:
                    sending.set_exception(exc)
                    sending.exception()  # askers that were cancelled need not hear of it
                else:
                    sending.set_result(token)
        finally:
            self._runner = None
            # Stopped (the loop is closing): whoever still waits hears of it.
            for pending in (sending, self._next):
                if pending is not None and not pending.done():
                    pending.set_exception(RuntimeError("probe interrupted"))
                    pending.exception()
            self._next = None
