"""Rounds of one statement for many concurrent requests (PostgreSQL's group reads and writes).

Requests that each need the same kind of statement (read these cards, insert this quote) hand
their part to a Batcher and wait. One round is in flight at a time: it carries everything handed
over before it was sent, and what arrives meanwhile goes in the next, which is sent as soon as
the round in flight ends. Under load one round trip (one statement, one commit) serves the dozens
of requests that arrived during the previous one; alone, a request waits for no one.

`flush` gets the round's items and answers, in their order, each item's result or the exception
that item alone must raise; an exception raised by `flush` itself is every item's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Flush = Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    def __init__(self, flush: Flush[T, R], max_round: int = 256) -> None:
        self._flush = flush
        self._max_round = max_round
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None
        self.rounds = 0  # rounds sent (for tests and profiles)

    async def submit(self, item: T) -> R:
        """`item`'s result, from the first round sent after this call began."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): nothing of the old one is usable
            self._loop, self._waiting, self._runner = loop, [], None
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._runner is None:
            self._runner = loop.create_task(self._run())
        # shield: a request that is cancelled leaves its item to the round (it may be sent).
        return await asyncio.shield(future)

    async def _run(self) -> None:
        sending: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                sending = self._waiting[: self._max_round]
                del self._waiting[: self._max_round]
                self.rounds += 1
                try:
                    outcomes = await self._flush([item for item, _ in sending])
                    if len(outcomes) != len(sending):
                        raise RuntimeError("a round answered a different number of items")
                except Exception as exc:
                    outcomes = [exc] * len(sending)
                for (_, future), outcome in zip(sending, outcomes, strict=True):
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                        future.exception()  # requests that were cancelled need not hear of it
                    else:
                        future.set_result(outcome)
                sending = []
        finally:
            self._runner = None
            # Stopped (the loop is closing): whoever still waits hears of it.
            for _, future in (*sending, *self._waiting):
                if not future.done():
                    future.set_exception(RuntimeError("round interrupted"))
                    future.exception()
            self._waiting = []
