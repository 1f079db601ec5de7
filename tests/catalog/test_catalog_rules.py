"""Pure rules of catalog records and prices, with no database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from clawvault.catalog import fields as f
from clawvault.catalog.cards import parse_card
from clawvault.catalog.packs import pack_id_for_slug, parse_pack, parse_tiers
from clawvault.catalog.prices import parse_price
from clawvault.packs.domain import Tier
from clawvault.pricing.adapters.http_feed import FeedError, HttpFeedSource
from clawvault.pricing.domain import MarketModel, is_stale, max_price_age, tick_random

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_money_is_exact_cents() -> None:
    assert f.money_cents({"p": "12.30"}, "p") == 1230
    assert f.money_cents({"p": "$7"}, "p") == 700
    assert f.money_cents({"p": 0.1}, "p") == 10
    assert f.money_cents({"p": "10000000000"}, "p") == 10**12
    for bad, reason in (
        ("1.001", "more than 2 decimals"),
        ("x", "must be a number"),
        (True, "must be a number"),
        ("1e308", "must be at most 10000000000"),
        (1.27e308, "must be at most 10000000000"),
    ):
        with pytest.raises(f.FieldError, match=reason):
            f.money_cents({"p": bad}, "p")


def test_tiers_compact_and_json_forms_agree() -> None:
    compact = parse_tiers("Common:#9ca3af:1:5:70; Rare:#3B82F6:5:50:30")
    as_json = parse_tiers(
        '[{"name": "Common", "color": "#9CA3AF", "lower": 1, "upper": 5, "weight": 70},'
        ' {"name": "Rare", "color": "#3B82F6", "lower": 5, "upper": 50, "weight": 30}]'
    )
    assert (
        compact
        == as_json
        == [
            Tier(1, "Common", "#9CA3AF", 100, 500, 70.0),
            Tier(2, "Rare", "#3B82F6", 500, 5_000, 30.0),
        ]
    )
    for bad, reason in (
        ("A:#000000:5:1:1", "upper must be greater than lower"),
        ("A:#000000:1:5:0", "positive weight"),
        ("A:black:1:5:1", "colour"),
        ("A:#000000:1:5", "Name:#RRGGBB:lower:upper:weight"),
    ):
        with pytest.raises(f.FieldError, match=reason):
            parse_tiers(bad)


def test_a_pack_without_id_gets_a_stable_one_from_its_slug() -> None:
    record = {
        "slug": "my-pack",
        "name": "My pack",
        "mint_price": "10",
        "max_per_mint": "3",
        "buyback_percent": "0.85",
        "tiers": "A:#000000:1:5:1",
    }
    spec, reasons = parse_pack(record, default_window_days=7)
    assert reasons == [] and spec is not None
    assert spec.id == pack_id_for_slug("my-pack") and spec.buyback_bps == 8_500
    assert spec.buyback_window_seconds == 7 * 86_400 and spec.enable is True
    never, _ = parse_pack({**record, "buyback_window_days": "none"}, 7)
    assert never is not None and never.buyback_window_seconds is None
    _, reasons = parse_pack({**record, "buyback_percent": "1.5", "max_per_mint": 0}, 7)
    assert reasons == [
        "max_per_mint must be between 1 and 1000",
        "buyback_percent must be a fraction in (0, 1], e.g. 0.85",
    ]


def test_card_attribute_columns_merge_into_attributes() -> None:
    spec, reasons = parse_card(
        {
            "id": "c1",
            "pack_id": "p",
            "name": "n",
            "image": "i",
            "type": "ebay",
            "fmv": "3",
            "attributes": '[{"trait_type": "Year", "value": 1999},'
            ' {"trait_type": "Set", "value": "Base"}]',
            "category": "Pokemon",
            "year": "2000",
        },
        "import",
    )
    assert reasons == [] and spec is not None
    assert spec.attributes == [
        {"trait_type": "Set", "value": "Base"},
        {"trait_type": "Year", "value": "2000"},
        {"trait_type": "Category", "value": "Pokemon"},
    ]
    _, reasons = parse_card({"id": "c1", "type": "card"}, "import")
    assert reasons[:2] == ["pack_id is required", "name is required"]


def test_prices_default_their_time_and_refuse_the_future() -> None:
    quote, _ = parse_price({"card_id": "c", "fmv": 1}, "file", NOW)
    assert quote is not None and (quote.as_of, quote.source) == (NOW, "file")
    _, reasons = parse_price({"card_id": "c", "fmv": 1, "as_of": "2026-11-27T13:00:00Z"}, "f", NOW)
    assert reasons == ["as_of is in the future"]
    naive, _ = parse_price({"card_id": "c", "fmv": 1, "as_of": "2026-11-27T11:00:00"}, "f", NOW)
    assert naive is not None and naive.as_of == NOW - timedelta(hours=1)


def test_staleness() -> None:
    max_age = max_price_age(24)
    assert not is_stale(NOW - timedelta(hours=24), NOW, max_age)
    assert is_stale(NOW - timedelta(hours=24, seconds=1), NOW, max_age)
    assert not is_stale(NOW - timedelta(days=999), NOW, max_price_age(0))


def test_market_walk_is_seeded_and_stays_near_its_band() -> None:
    model = MarketModel(volatility=0.05, jump_probability=0.0)
    tier = Tier(1, "T", "#000000", 1_000, 4_000, 1.0)
    walk = []
    for seed in (1, 1):
        rng, price, prices = random.Random(seed), 1_000, []
        for _ in range(2_000):
            price = model.step(rng, price, tier)
            prices.append(price)
        walk.append(prices)
    assert walk[0] == walk[1]
    tail = walk[0][1_000:]
    assert 1_000 <= sorted(tail)[len(tail) // 2] < 4_000  # reverts into its band
    assert tick_random(3, 7).random() == tick_random(3, 7).random() != tick_random(3, 8).random()


def test_feed_formats() -> None:
    records = HttpFeedSource("http://x", "records", source="feed")
    fetched = records.parse([{"card_id": "a", "fmv": 1}, "junk"], NOW)
    assert [q.card_id for q in fetched.quotes] == ["a"]
    assert [str(e) for e in fetched.rejected] == ["row 2: must be a JSON object"]
    mapped = HttpFeedSource("http://x", "map").parse({"a": 2.5}, NOW)
    assert mapped.quotes[0].fmv_cents == 250
    with pytest.raises(FeedError):
        records.parse({"nope": 1}, NOW)
    with pytest.raises(ValueError):
        HttpFeedSource("http://x", "xml")
