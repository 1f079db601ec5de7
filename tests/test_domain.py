"""Pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clawvault.core.ids import base58_encode, new_order_id, new_quote_session_id, split_rate_id
from clawvault.core.money import apply_basis_points, cents_to_number, number_to_cents
from clawvault.core.timeutil import isoformat
from clawvault.db.models import OrderStatus
from clawvault.packs.domain import Tier, TierStock, TierTable, ev_band, expected_value_cents
from clawvault.pulls.domain import parse_amount, parse_user_id
from clawvault.shipping.address import check_address
from clawvault.shipping.domain import (
    IllegalTransition,
    insurance_cents,
    rates_for,
    transition_path,
    zone_for,
)
from tests.factories import ADDRESS

TIERS = [
    Tier(1, "C", "#000000", 0, 100, 3.0),
    Tier(2, "R", "#000000", 100, 1000, 1.0),
    Tier(3, "Z", "#000000", 1000, 5000, 0.0),
]


def test_money_is_exact() -> None:
    assert cents_to_number(1999) == 19.99 and cents_to_number(2000) == 20
    assert number_to_cents(19.99) == 1999 and number_to_cents("0.015") == 2
    assert apply_basis_points(1999, 8500) == 1699  # 16.9915 → 16.99
    assert apply_basis_points(1001, 8500) == 851  # 8.5085 → 8.51
    assert sum(apply_basis_points(7, 8500) for _ in range(100)) == 600  # never floats
    with pytest.raises(ValueError):
        number_to_cents("nan")


def test_timestamps_have_milliseconds_and_z() -> None:
    moment = datetime(2026, 4, 18, 19, 5, 14, 987654, tzinfo=UTC)
    assert isoformat(moment) == "2026-04-18T19:05:14.987Z"
    assert isoformat(moment.replace(tzinfo=None)) == "2026-04-18T19:05:14.987Z"


def test_tier_draw_follows_the_weights_and_skips_zero_weights() -> None:
    table = TierTable(TIERS)
    assert table.draw(0.0).tier_id == 1 and table.draw(0.7499).tier_id == 1
    assert table.draw(0.75).tier_id == 2 and table.draw(0.999999).tier_id == 2
    assert table.probability(3) == 0.0 and table.probability(1) == 0.75
    with pytest.raises(ValueError):
        TierTable([Tier(1, "C", "#000000", 0, 100, 0.0)])


def test_expected_value_and_band() -> None:
    stock = {1: TierStock(2, 100), 2: TierStock(1, 500)}
    assert expected_value_cents(TIERS, stock) == round(0.75 * 50 + 0.25 * 500)
    # an empty tier counts at its lower bound
    assert expected_value_cents(TIERS, {1: TierStock(2, 100)}) == round(0.75 * 50 + 0.25 * 100)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    day = timedelta(hours=24)
    history = [(now - timedelta(hours=30), 900), (now - timedelta(hours=5), 300)]
    assert ev_band(history, 400, now, day) == (300, 900)  # 900 was in force at window start
    assert ev_band(history[1:], 400, now, day) == (300, 400)


def test_amount_and_user_id_parsing() -> None:
    assert [parse_amount(v) for v in (1, "3", 2.0, 0, -1, 1.5, True, None, "x")] == [
        1,
        3,
        2,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert parse_user_id(42) == "42" and parse_user_id("") is None and parse_user_id(None) is None


def test_ids() -> None:
    assert base58_encode(b"\x00\x01") == "12"
    assert len(new_quote_session_id()) == len("quote_") + 26
    assert len(new_order_id()) == len("order_") + 16
    assert split_rate_id("quote_ABC_rate_express") == ("quote_ABC", "express")
    assert split_rate_id("quote_ABC") is None and split_rate_id("_rate_x") is None


def test_address_validation_and_suggestions() -> None:
    assert check_address(ADDRESS).ok
    messy = {**ADDRESS, "state": "California", "postal_code": "94105-1234", "country": "us"}
    check = check_address(messy)
    assert not check.ok and check.fixable and check.normalized == ADDRESS
    broken = check_address({**ADDRESS, "postal_code": "ABCDE", "state": "ZZ"})
    assert not broken.fixable and "postal_code" in broken.details() and "state" in broken.details()
    assert not check_address("nope").ok
    assert check_address({**ADDRESS, "name": 5}).details() == "name must be a string"
    canada = {
        "name": "A",
        "line1": "1 Rue",
        "city": "Ottawa",
        "state": "on",
        "postal_code": "k1a0b1",
        "country": "CA",
    }
    suggestion = check_address(canada).normalized
    assert suggestion["state"] == "ON" and suggestion["postal_code"] == "K1A 0B1"
    assert check_address({**ADDRESS, "zip": "94105"} | {"postal_code": None}).ok is False
    with_zip = {k: v for k, v in ADDRESS.items() if k != "postal_code"} | {"zip": "94105"}
    assert check_address(with_zip).ok


def test_rates_depend_on_items_value_and_zone() -> None:
    near = {r.key: r for r in rates_for(zone_for("US", "NY"), 1, 50_00)}
    far = {r.key: r for r in rates_for(zone_for("US", "HI"), 1, 50_00)}
    more = {r.key: r for r in rates_for(zone_for("US", "NY"), 3, 50_00)}
    valuable = {r.key: r for r in rates_for(zone_for("US", "NY"), 1, 2_000_00)}
    assert list(near) == ["standard", "priority", "express"]
    assert (
        near["standard"].amount_cents < near["priority"].amount_cents < near["express"].amount_cents
    )
    assert far["standard"].amount_cents > near["standard"].amount_cents
    assert more["standard"].amount_cents > near["standard"].amount_cents
    assert not near["standard"].insured and valuable["standard"].insured
    assert valuable["standard"].amount_cents - near["standard"].amount_cents == insurance_cents(
        2_000_00
    )
    assert rates_for(zone_for("DE", None), 1, 0)[0].service.endswith("International")


def test_order_state_machine() -> None:
    assert transition_path(OrderStatus.QUEUED, OrderStatus.SHIPPED) == [
        OrderStatus.PROCESSING,
        OrderStatus.LABEL_CREATED,
        OrderStatus.SHIPPED,
    ]
    assert transition_path(OrderStatus.LABEL_CREATED, OrderStatus.CANCELLED) == [
        OrderStatus.CANCELLED
    ]
    for current, target in [
        (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
        (OrderStatus.DELIVERED, OrderStatus.SHIPPED),
        (OrderStatus.PROCESSING, OrderStatus.QUEUED),
        (OrderStatus.CANCELLED, OrderStatus.PROCESSING),
    ]:
        with pytest.raises(IllegalTransition):
            transition_path(current, target)
