"""Pure helpers of the console: money text, paging, what an order can still do, and charts
drawn as SVG on the server (no chart library, no script)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from clawvault.core.timeutil import as_utc
from clawvault.db.models import OrderStatus
from clawvault.shipping.domain import STOPPABLE, TERMINAL

PAGE_SIZE = 50
BOARD_STATUSES = tuple(OrderStatus)


def money(cents: int | Decimal | None) -> str:
    if cents is None:
        return "—"
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(10_000, int(raw or 1)))
    except ValueError:
        return 1


def can_stop(status: str) -> bool:
    return OrderStatus(status) in STOPPABLE


def takes_tracking(status: str) -> bool:
    return OrderStatus(status) not in TERMINAL


@dataclass
class Chart:
    """An SVG chart: a polyline or bars in a width × height box, with axis labels."""

    width: int = 640
    height: int = 160
    line: str = ""
    bars: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    points: list[tuple[float, float, str]] = field(default_factory=list)
    empty: bool = True


PAD_LEFT, PAD_BOTTOM, PAD_TOP = 64, 20, 8
MIN_SPAN = timedelta(hours=1)


def _scale(low: float, high: float) -> tuple[float, float]:
    if high <= low:
        return low - 1, high + 1
    margin = (high - low) * 0.08
    return low - margin, high + margin


def step_chart(series: Sequence[tuple[datetime, int]], start: datetime, end: datetime) -> Chart:
    """A value that holds until it changes (EV, a price), from start to end, in cents."""
    chart = Chart()
    if not series:
        return chart
    start, end = as_utc(start), as_utc(end)
    start = min(start, end - MIN_SPAN)
    span = max((end - start).total_seconds(), 1.0)
    low, high = _scale(min(v for _, v in series), max(v for _, v in series))
    plot_w, plot_h = chart.width - PAD_LEFT - 4, chart.height - PAD_BOTTOM - PAD_TOP

    def x(at: datetime) -> float:
        seconds = (max(as_utc(at), start) - start).total_seconds()
        return round(PAD_LEFT + plot_w * min(seconds / span, 1.0), 1)

    def y(value: float) -> float:
        return round(PAD_TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    coords: list[str] = []
    previous: float | None = None
    for at, value in series:
        if previous is not None:
            coords.append(f"{x(at)},{previous}")
        previous = y(value)
        coords.append(f"{x(at)},{previous}")
        chart.points.append((x(at), previous, f"{as_utc(at):%Y-%m-%d %H:%M} {money(value)}"))
    coords.append(f"{x(end)},{previous}")
    chart.line = " ".join(coords)
    chart.y_labels = [(y(v), money(round(v))) for v in (low, (low + high) / 2, high)]
    chart.x_labels = [(x(start), f"{start:%m-%d %H:%M}"), (x(end) - 70, f"{end:%m-%d %H:%M}")]
    chart.empty = False
    return chart


def hourly_counts(times: Sequence[datetime], end: datetime, hours: int) -> list[int]:
    """Counts per hour over the last `hours` hours ending at `end` (oldest first)."""
    end = as_utc(end)
    start = end - timedelta(hours=hours)
    counts = [0] * hours
    for at in times:
        slot = min(int((as_utc(at) - start).total_seconds() // 3600), hours - 1)
        if start <= as_utc(at) <= end:
            counts[slot] += 1
    return counts


def bar_chart(counts: Sequence[int], end: datetime, color: str = "#3b6fd8") -> Chart:
    chart = Chart()
    if not counts:
        return chart
    top = max(max(counts), 1)
    plot_w, plot_h = chart.width - PAD_LEFT - 4, chart.height - PAD_BOTTOM - PAD_TOP
    slot = plot_w / len(counts)
    hours = len(counts)
    for index, count in enumerate(counts):
        height = plot_h * count / top
        left = PAD_LEFT + index * slot
        chart.bars.append(
            (
                round(left + 1, 1),
                round(PAD_TOP + plot_h - height, 1),
                round(slot - 2, 1),
                round(height, 1),
                color,
            )
        )
        at = as_utc(end) - timedelta(hours=hours - index)
        chart.points.append((round(left + slot / 2, 1), 0, f"{at:%m-%d %H}:00 {count} pulls"))
    chart.y_labels = [(PAD_TOP + plot_h, "0"), (PAD_TOP, str(top))]
    start = as_utc(end) - timedelta(hours=hours)
    chart.x_labels = [(PAD_LEFT, f"{start:%m-%d %H}:00"), (chart.width - 74, "now")]
    chart.empty = sum(counts) == 0
    return chart
