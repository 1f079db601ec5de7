"""The three adapters of the pricing oracle, behind one interface: a file, an HTTP JSON feed
(served on loopback), and the demo's simulated market; provenance and history of each."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from clawvault.catalog.errors import ImportRejected
from clawvault.core.runtime import Runtime
from clawvault.db.engine import Database
from clawvault.db.unit import Unit
from clawvault.pricing.adapters.file import FilePriceSource
from clawvault.pricing.adapters.http_feed import HttpFeedSource
from clawvault.pricing.adapters.simulated import SimulatedMarket
from clawvault.pricing.background import market_turn_once, poll_feed_once
from clawvault.pricing.domain import PriceQuote
from clawvault.pricing.service import apply_quotes, price_history, refresh_from
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, run
from tests.operator import Feed, card_row, count, job_error, pack_cards, snapshot


def test_file_source_applies_prices_with_provenance(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    pack_id = make_pack(settings, clock=clock)
    cheap, other = pack_cards(settings, pack_id)[:2]
    clock.advance(minutes=10)
    path = tmp_path / "prices.csv"
    path.write_text(
        "card_id,fmv,source,as_of\n"
        f"{cheap['id']},4.20,psa-apr,2026-11-27T12:05:00Z\n"
        f"{other['id']},3.10,,\n"
    )
    report = run(settings, lambda rt: refresh_from(rt, Unit(rt.db), FilePriceSource(path)), clock)
    assert (report.received, report.applied) == (2, 2)
    first = card_row(settings, cheap["id"])
    assert (first["fmv_cents"], first["fmv_source"]) == (420, "psa-apr")
    second = card_row(settings, other["id"])
    assert (second["fmv_cents"], second["fmv_source"]) == (310, "file")  # the default source
    history = run(settings, lambda rt: price_history(rt, Unit(rt.db), cheap["id"], 10), clock)
    assert history is not None
    assert history["fmv"] == 4.2 and history["as_of"] == "2026-11-27T12:05:00.000Z"
    assert [h["source"] for h in history["history"]] == ["psa-apr"]


def test_file_source_refuses_a_file_with_a_bad_row(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    pack_id = make_pack(settings, clock=clock)
    cards = pack_cards(settings, pack_id)
    path = tmp_path / "prices.json"
    rows = [
        {"card_id": cards[0]["id"], "fmv": 9.99},
        {"card_id": "no-such-card", "fmv": 1},
        {"card_id": cards[1]["id"], "fmv": -3},
        {"card_id": cards[2]["id"], "fmv": 1.234},
    ]
    path.write_bytes(orjson.dumps(rows))
    before = snapshot(settings)
    with pytest.raises(ImportRejected) as rejected:
        run(settings, lambda rt: refresh_from(rt, Unit(rt.db), FilePriceSource(path)), clock)
    assert [e.row for e in rejected.value.errors] == [2, 3, 4]
    assert "not a known card" in rejected.value.errors[0].reason
    assert "at least 0.01" in rejected.value.errors[1].reason
    assert "more than 2 decimals" in rejected.value.errors[2].reason
    assert snapshot(settings) == before


def test_http_feed_on_loopback_records_and_map(settings: Settings, clock: FakeClock) -> None:
    pack_id = make_pack(settings, clock=clock)
    a, b = pack_cards(settings, pack_id)[:2]
    clock.advance(minutes=1)
    with Feed() as feed:
        feed.payload = {
            "source": "cardladder",
            "as_of": "2026-11-27T12:00:30Z",
            "prices": [
                {"card_id": a["id"], "fmv": 2.5},
                {"card_id": b["id"], "fmv": "2.75", "source": "ebay-sold"},
                {"card_id": "unknown-card", "fmv": 5},
                {"card_id": a["id"], "fmv": "lots"},
            ],
        }
        source = HttpFeedSource(feed.url, "records", source="feed")
        report = run(settings, lambda rt: refresh_from(rt, Unit(rt.db), source), clock)
        assert feed.requests == 1
        assert (report.received, report.applied, report.unknown_cards) == (3, 2, 1)
        assert report.rejected == ["row 4: fmv must be a number, not 'lots'"]
        assert card_row(settings, a["id"])["fmv_source"] == "cardladder"
        assert card_row(settings, b["id"])["fmv_source"] == "ebay-sold"

        clock.advance(minutes=1)
        feed.payload = {a["id"]: 3.5}
        mapped = HttpFeedSource(feed.url, "map", source="map-feed")
        run(settings, lambda rt: refresh_from(rt, Unit(rt.db), mapped), clock)
        row = card_row(settings, a["id"])
        assert (row["fmv_cents"], row["fmv_source"]) == (350, "map-feed")


def test_feed_polls_are_claimed_once_across_processes(settings: Settings, clock: FakeClock) -> None:
    """Every server process runs the poller; a turn is claimed in the database, so two
    processes polling at once fetch the feed once, and the next turn waits for its time."""
    pack_id = make_pack(settings, clock=clock)
    card = pack_cards(settings, pack_id)[0]
    clock.advance(minutes=1)
    feed_settings = settings.model_copy(update={"price_feed_interval_seconds": 60})
    with Feed() as feed:
        feed.payload = [{"card_id": card["id"], "fmv": 4.44}]
        source = HttpFeedSource(feed.url)

        async def two_processes() -> list[bool]:
            runtimes = [
                Runtime(
                    db=Database(feed_settings.database_url, feed_settings), settings=feed_settings
                )
                for _ in range(2)
            ]
            for runtime in runtimes:
                runtime.clock = clock
            try:
                return list(await asyncio.gather(*(poll_feed_once(rt, source) for rt in runtimes)))
            finally:
                for runtime in runtimes:
                    await runtime.db.dispose()

        assert sorted(asyncio.run(two_processes())) == [False, True]
        assert feed.requests == 1
        assert card_row(feed_settings, card["id"])["fmv_cents"] == 444
        assert asyncio.run(two_processes()) == [False, False]  # not due yet
        clock.advance(seconds=61)
        assert sorted(asyncio.run(two_processes())) == [False, True]
        assert feed.requests == 2


def test_feed_failure_is_recorded_and_changes_nothing(settings: Settings, clock: FakeClock) -> None:
    make_pack(settings, clock=clock)
    with Feed() as feed:
        feed.status = 503
        before = snapshot(settings)
        ran = run(settings, lambda rt: poll_feed_once(rt, HttpFeedSource(feed.url)), clock)
        assert ran is True and feed.requests == 1
        assert snapshot(settings) == before
        assert job_error(settings, "price-feed") == "FeedError: price feed answered 503"


def test_simulated_market_is_seeded_and_moves_prices(settings: Settings, clock: FakeClock) -> None:
    pack_id = make_pack(settings, clock=clock, cards_per_tier=20)
    before = {c["id"]: c["fmv_cents"] for c in pack_cards(settings, pack_id)}
    market = SimulatedMarket(seed=42, cards_per_turn=30)
    first = run(settings, lambda rt: market.fetch(rt, Unit(rt.db), 1), clock)
    again = run(settings, lambda rt: market.fetch(rt, Unit(rt.db), 1), clock)
    other_turn = run(settings, lambda rt: market.fetch(rt, Unit(rt.db), 2), clock)
    assert first.quotes == again.quotes  # same seed, same turn, same prices: same moves
    assert first.quotes != other_turn.quotes
    assert len(first.quotes) == 30

    clock.advance(seconds=5)
    assert run(settings, lambda rt: market_turn_once(rt, market), clock) is True
    after = {c["id"]: c for c in pack_cards(settings, pack_id)}
    moved = [card_id for card_id, fmv in before.items() if after[card_id]["fmv_cents"] != fmv]
    assert len(moved) >= 25  # a few may round back to their old cent
    assert {after[card_id]["fmv_source"] for card_id in moved} == {"market-sim"}
    assert count(settings, "card_prices") == 30


def test_a_market_opened_again_after_a_week_moves_every_stale_price_first(
    settings: Settings, clock: FakeClock
) -> None:
    """A demo database left alone past the price age: its first market turn reprices every
    stale card (sellbacks would be refused on them), then samples the fresh ones as usual."""
    pack_id = make_pack(settings, clock=clock, cards_per_tier=20)
    clock.advance(hours=settings.price_max_age_hours + 1)
    fresh_id = pack_cards(settings, pack_id)[0]["id"]
    fresh = PriceQuote(fresh_id, 321, "feed", clock.now)
    run(settings, lambda rt: apply_quotes(rt, Unit(rt.db), [fresh], "feed"), clock)
    market = SimulatedMarket(seed=42, cards_per_turn=5)
    moved = run(settings, lambda rt: market.fetch(rt, Unit(rt.db), 1), clock)
    stale_ids = {c["id"] for c in pack_cards(settings, pack_id)} - {fresh_id}
    assert stale_ids <= {q.card_id for q in moved.quotes}
    assert len(moved.quotes) == len(stale_ids) + 1  # and a sample of the one fresh card
    assert {q.as_of for q in moved.quotes} == {clock.now}


def test_a_late_older_price_never_replaces_a_newer_one(
    settings: Settings, clock: FakeClock
) -> None:
    """Sources may deliver out of order (a slow feed, a back-fill file): the current price is
    always the newest by as-of time, and the history keeps both."""
    pack_id = make_pack(settings, clock=clock)
    card_id = pack_cards(settings, pack_id)[0]["id"]
    clock.advance(hours=1)
    newer = PriceQuote(card_id, 777, "feed", clock.now - timedelta(minutes=1))
    older = PriceQuote(card_id, 555, "backfill", clock.now - timedelta(minutes=30))
    first = run(settings, lambda rt: apply_quotes(rt, Unit(rt.db), [newer], "feed"), clock)
    late = run(settings, lambda rt: apply_quotes(rt, Unit(rt.db), [older], "backfill"), clock)
    assert (first.applied, late.applied) == (1, 0)
    row = card_row(settings, card_id)
    assert (row["fmv_cents"], row["fmv_source"]) == (777, "feed")
    history = run(settings, lambda rt: price_history(rt, Unit(rt.db), card_id, 10), clock)
    assert history is not None
    assert [h["fmv"] for h in history["history"]] == [7.77, 5.55]
