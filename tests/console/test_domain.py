"""The console's pure helpers: money, paging, the next step of an order, charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from clawvault.console import domain
from clawvault.db.models import OrderStatus
from clawvault.shipping.domain import next_status

NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


def test_money_and_pages() -> None:
    assert domain.money(123456) == "$1,234.56"
    assert domain.money(-895) == "-$8.95"
    assert domain.money(Decimal(5)) == "$0.05"
    assert domain.money(None) == "—"
    assert [domain.page_number(v) for v in (None, "", "3", "-2", "x")] == [1, 1, 3, 1, 1]


def test_order_steps() -> None:
    assert next_status("queued") is OrderStatus.PROCESSING
    assert next_status("shipped") is OrderStatus.DELIVERED
    assert next_status("delivered") is None and next_status("cancelled") is None
    assert domain.can_stop("label_created") and not domain.can_stop("shipped")


def test_pulls_per_hour_counts_each_pull_once_in_its_hour() -> None:
    times = [NOW, NOW - timedelta(minutes=30), NOW - timedelta(hours=3), NOW - timedelta(days=3)]
    counts = domain.hourly_counts(times, NOW, 48)
    assert len(counts) == 48 and sum(counts) == 3
    assert counts[-1] == 2 and counts[-3] == 1
    chart = domain.bar_chart(counts, NOW)
    assert len(chart.bars) == 48 and not chart.empty
    assert domain.bar_chart([0] * 48, NOW).empty


def test_step_chart_holds_each_value_until_the_next() -> None:
    series = [(NOW - timedelta(hours=2), 1000), (NOW - timedelta(hours=1), 2000)]
    chart = domain.step_chart(series, NOW - timedelta(hours=2), NOW)
    points = [tuple(map(float, p.split(","))) for p in chart.line.split()]
    assert points[0][0] == domain.PAD_LEFT and points[-1][0] == chart.width - 4
    assert points[1][1] == points[0][1] and points[2][1] < points[1][1]  # 2000 is higher
    assert [label for _, label in chart.y_labels][1] == "$15.00"
    assert domain.step_chart([], NOW, NOW).empty
    single = domain.step_chart([(NOW, 500)], NOW, NOW)  # one price, now: still drawn
    assert not single.empty and single.line
