"""Rounds of one statement for many concurrent requests (clawvault.db.batcher), and PostgreSQL's
quotes that use them (clawvault.shipping.quote_rounds.QuoteRounds): racing quotes each get their
own answer and their own stored quote, and one bad quote fails alone."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clawvault.app import create_app
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.batcher import Batcher
from clawvault.db.models import Quote
from clawvault.settings import Settings
from clawvault.shipping.quote_rounds import QuoteRounds, quote_rounds
from tests.factories import ADDRESS, PartnerKeys, make_pack, make_partner, run
from tests.live import post_at_once, serving

pytestmark = pytest.mark.timeout(60)

API = "/api/v1"


class Doubler:
    """A flush that doubles numbers, refuses negatives alone, and fails a round holding 13."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def __call__(self, items: list[int]) -> list[int | BaseException]:
        self.sizes.append(len(items))
        await asyncio.sleep(0.01)  # a round trip: whoever arrives meanwhile waits for the next
        if 13 in items:
            raise RuntimeError("unlucky round")
        return [ValueError(n) if n < 0 else 2 * n for n in items]


def test_concurrent_items_share_rounds_and_each_gets_its_own_answer() -> None:
    flush = Doubler()
    batcher: Batcher[int, int] = Batcher(flush)

    async def many() -> list[int]:
        first = asyncio.ensure_future(batcher.submit(100))
        await asyncio.sleep(0)  # its round is sent
        return [await first, *await asyncio.gather(*(batcher.submit(n) for n in range(101, 200)))]

    assert asyncio.run(many()) == [2 * n for n in range(100, 200)]
    # The first submit sends a round of one; the 99 that arrived meanwhile go in the next.
    assert flush.sizes == [1, 99]
    assert batcher.rounds == 2


def test_a_round_holds_at_most_max_round_items() -> None:
    flush = Doubler()
    batcher: Batcher[int, int] = Batcher(flush, max_round=10)

    async def many() -> list[int]:
        return await asyncio.gather(*(batcher.submit(n) for n in range(100, 135)))

    assert asyncio.run(many()) == [2 * n for n in range(100, 135)]
    assert flush.sizes == [10, 10, 10, 5]


def test_an_item_fails_alone_and_a_failed_round_fails_only_its_items() -> None:
    flush = Doubler()
    batcher: Batcher[int, int] = Batcher(flush)

    async def many() -> list[Any]:
        first = asyncio.ensure_future(batcher.submit(13))  # a round of its own, which fails
        await asyncio.sleep(0)
        rest = [batcher.submit(n) for n in (1, -2, 3)]
        return await asyncio.gather(first, *rest, return_exceptions=True)

    unlucky, one, minus_two, three = asyncio.run(many())
    assert isinstance(unlucky, RuntimeError) and str(unlucky) == "unlucky round"
    assert (one, three) == (2, 6)
    assert isinstance(minus_two, ValueError)
    assert flush.sizes == [1, 3]


def test_a_cancelled_submitter_leaves_the_others_their_answers() -> None:
    flush = Doubler()
    batcher: Batcher[int, int] = Batcher(flush)

    async def many() -> list[Any]:
        first = asyncio.ensure_future(batcher.submit(1))
        await asyncio.sleep(0)
        waiting = [asyncio.ensure_future(batcher.submit(n)) for n in (2, 3)]
        await asyncio.sleep(0)
        waiting[0].cancel()
        results = await asyncio.gather(first, *waiting, return_exceptions=True)
        results.append(await batcher.submit(4))  # the batcher still works
        return results

    one, cancelled, three, four = asyncio.run(many())
    assert (one, three, four) == (2, 6, 8)
    assert isinstance(cancelled, asyncio.CancelledError)


def test_a_stalled_round_holds_up_only_what_waits_behind_it() -> None:
    sizes: list[int] = []
    release: asyncio.Event

    async def stalls_on_zero(items: list[int]) -> list[int]:
        sizes.append(len(items))
        if 0 in items:
            await release.wait()  # a commit waiting for the disk
        return [2 * n for n in items]

    async def with_rounds(in_flight: int) -> list[int]:
        nonlocal release
        sizes.clear()
        release = asyncio.Event()
        batcher: Batcher[int, int] = Batcher(stalls_on_zero, in_flight=in_flight)
        stalled = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0)
        others = asyncio.ensure_future(asyncio.gather(*(batcher.submit(n) for n in (1, 2))))
        done, _ = await asyncio.wait([others], timeout=0.2)
        answered = others.result() if done else []
        release.set()
        await asyncio.gather(stalled, others)
        return answered

    assert asyncio.run(with_rounds(2)) == [2, 4]  # a second round went past the stalled one
    assert sizes == [1, 2]
    assert asyncio.run(with_rounds(1)) == []  # one round at a time: they waited for it
    assert sizes == [1, 2]


def test_a_batcher_outlives_its_event_loop() -> None:
    batcher: Batcher[int, int] = Batcher(Doubler())
    assert asyncio.run(batcher.submit(1)) == 2
    assert asyncio.run(batcher.submit(2)) == 4


def quotes_of(settings: Settings, partner: PartnerKeys, users: int) -> list[list[str]]:
    """Each of `users` users pulls two items; their ids, per user."""
    pack_id = make_pack(
        settings, tiers=((100, 2_000, 1.0),), cards_per_tier=2 * users, clock=utcnow
    )

    async def pull_all() -> list[list[str]]:
        async with (
            serving(create_app(settings)) as base,
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            held = []
            for i in range(users):
                answer = await http.post(
                    f"{API}/vm/buy/init",
                    headers=partner.headers,
                    json={"id": pack_id, "amount": 2, "user_id": f"shipper-{i}"},
                )
                assert answer.status_code == 200, answer.text
                held.append([item["id"] for item in answer.json()["nfts"]])
            return held

    return asyncio.run(pull_all())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_racing_quotes_each_store_their_own_and_ship(settings: Settings) -> None:
    partner = make_partner(settings)
    items = quotes_of(settings, partner, 24)
    items[5] = [*items[5], "no-such-item"]  # one quote of the round fails alone
    rounds_before: list[int] = []

    async def race() -> tuple[list[httpx.Response], list[httpx.Response]]:
        app = create_app(settings)
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            runtime: Runtime = app.state.runtime
            rounds_before.append(quote_rounds(runtime.db).batcher.rounds)
            quotes = await asyncio.gather(
                *(
                    http.post(
                        f"{API}/ship/quote",
                        headers=partner.headers,
                        json={"item_ids": ids, "destination": ADDRESS},
                    )
                    for ids in items
                )
            )
            rounds_before.append(quote_rounds(runtime.db).batcher.rounds)
            shipped = await asyncio.gather(
                *(
                    http.post(
                        f"{API}/ship/request",
                        headers=partner.headers,
                        json={"quote_id": q.json()["quotes"][0]["id"]},
                    )
                    for q in quotes
                    if q.status_code == 200
                )
            )
            return quotes, shipped

    quotes, shipped = asyncio.run(race())
    assert quotes[5].status_code == 400 and quotes[5].json() == {"error": "Item not found"}
    good = [q for i, q in enumerate(quotes) if i != 5]
    assert all(q.status_code == 200 for q in good), [q.text for q in good]
    assert len({q.json()["session_id"] for q in good}) == 23
    assert [s.status_code for s in shipped] == [200] * 23, [s.text for s in shipped]
    # Fewer insert rounds than quotes: they shared statements.
    assert 1 <= rounds_before[1] - rounds_before[0] < 23

    async def stored(runtime: Runtime) -> dict[str, list[str]]:
        async with runtime.db.read() as conn:
            rows = (await conn.execute(select(Quote.user_id, Quote.item_ids))).all()
            assert (await conn.execute(select(func.count()).select_from(Quote))).scalar() == 23
        return {row.user_id: sorted(row.item_ids) for row in rows}

    expected = {f"shipper-{i}": sorted(ids) for i, ids in enumerate(items) if i != 5}
    assert run(settings, stored) == expected


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_quote_whose_insert_fails_fails_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    items = quotes_of(settings, partner, 6)
    real = QuoteRounds._write

    async def refuse_the_third_user(self: QuoteRounds, quotes: list[dict[str, Any]]) -> None:
        if any(q["user_id"] == "shipper-2" for q in quotes):
            raise RuntimeError("disk on fire")
        await real(self, quotes)

    monkeypatch.setattr(QuoteRounds, "_write", refuse_the_third_user)

    bodies = [{"item_ids": ids, "destination": ADDRESS} for ids in items]
    answers = post_at_once(create_app(settings), f"{API}/ship/quote", partner.headers, bodies)
    assert answers[2].status_code == 500
    assert answers[2].json() == {"error": "Failed to fetch shipping rates"}
    assert [a.status_code for i, a in enumerate(answers) if i != 2] == [200] * 5

    async def count(runtime: Runtime) -> int | None:
        async with runtime.db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(Quote))).scalar()

    assert run(settings, count) == 5
