"""Rounds of one statement for many concurrent requests (PostgreSQL's group reads and writes).

Requests that each need the same kind of statement (read these cards, insert this quote) hand
their part to a Batcher and wait. A round carries everything handed over before it was sent; up
to `in_flight` rounds run at once, and what arrives while they all do goes in the next, sent as
soon as one of them ends. Under load one round trip (one statement, one commit) serves the dozens
of requests that arrived during the previous ones; at a light load a request waits for no one,
and a round that stalls (a commit waiting for the disk) holds up only the rounds behind the
others, not every request (with one round at a time, quotes at half their top rate waited 24 ms
at the median, two commits in a row).

`flush` gets the round's items and answers, in their order, each item's result or the exception
that item alone must raise; an exception raised by `flush` itself is every item's."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from clawvault.db.engine import Database

T = TypeVar("T")
R = TypeVar("R")
X = TypeVar("X")

Flush = Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    def __init__(self, flush: Flush[T, R], max_round: int = 256, in_flight: int = 4) -> None:
        self._flush = flush
        self._max_round = max_round
        self._in_flight = in_flight
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._runners: set[asyncio.Task[None]] = set()
        self.rounds = 0  # rounds sent (for tests and profiles)

    async def submit(self, item: T) -> R:
        """`item`'s result, from a round sent after this call began."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): nothing of the old one is usable
            self._loop, self._waiting, self._runners = loop, [], set()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if len(self._runners) < self._in_flight:
            self._runners.add(loop.create_task(self._run()))
        # shield: a request that is cancelled leaves its item to the round (it may be sent).
        return await asyncio.shield(future)

    async def _run(self) -> None:
        """Sends rounds while items wait (each runner one round at a time)."""
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
            # At once, not in a done callback: a submit in between would count this runner
            # and start none, and its item would wait for ever.
            self._runners.discard(asyncio.current_task())
            # Stopped (the loop is closing): whoever still waits hears of it.
            interrupted = sending if self._runners else [*sending, *self._waiting]
            for _, future in interrupted:
                if not future.done():
                    future.set_exception(RuntimeError("round interrupted"))
                    future.exception()
            if not self._runners:
                self._waiting = []


class PerDatabase(Generic[X]):
    """One X per Database, so per process (a module's batchers), made at its first use."""

    def __init__(self, make: Callable[[Database], X]) -> None:
        self._make = make
        self._made: WeakKeyDictionary[Database, X] = WeakKeyDictionary()

    def __call__(self, db: Database) -> X:
        made = self._made.get(db)
        if made is None:
            made = self._made[db] = self._make(db)
        return made
