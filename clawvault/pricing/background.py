"""The scheduled price sources of a server process: the HTTP feed and the demo market. Every
process may run them; each turn is claimed in the database, so one process does it."""

from __future__ import annotations

import asyncio

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.jobs.service import Work, run_if_due, run_periodically
from clawvault.pricing.adapters.base import PriceSource
from clawvault.pricing.adapters.http_feed import HttpFeedSource
from clawvault.pricing.adapters.simulated import SimulatedMarket
from clawvault.pricing.domain import MarketModel
from clawvault.pricing.service import refresh_from
from clawvault.settings import Settings

FEED_JOB = "price-feed"
MARKET_JOB = "market-simulation"


def feed_source(settings: Settings) -> HttpFeedSource:
    return HttpFeedSource(
        settings.price_feed_url,
        settings.price_feed_format,
        settings.price_feed_source,
        settings.price_feed_timeout_seconds,
    )


def market_source(settings: Settings) -> SimulatedMarket:
    model = MarketModel(
        volatility=settings.market_volatility, jump_probability=settings.market_jump_probability
    )
    return SimulatedMarket(settings.market_seed, model, settings.market_cards_per_turn)


def _work(source: PriceSource) -> Work:
    async def work(runtime: Runtime, turn: int) -> None:
        await refresh_from(runtime, Unit(runtime.db), source, turn)  # a unit per run

    return work


async def poll_feed_once(runtime: Runtime, source: PriceSource | None = None) -> bool:
    """One scheduled turn of the feed, if it is due and this process claims it."""
    source = source or feed_source(runtime.settings)
    interval = runtime.settings.price_feed_interval_seconds
    return await run_if_due(runtime, FEED_JOB, interval, _work(source))


async def market_turn_once(runtime: Runtime, source: PriceSource | None = None) -> bool:
    source = source or market_source(runtime.settings)
    interval = runtime.settings.market_interval_seconds
    return await run_if_due(runtime, MARKET_JOB, interval, _work(source))


def start_price_jobs(runtime: Runtime) -> list[asyncio.Task[None]]:
    settings = runtime.settings
    tasks = []
    if settings.price_feed_url:
        tasks.append(
            asyncio.create_task(
                run_periodically(
                    runtime,
                    FEED_JOB,
                    settings.price_feed_interval_seconds,
                    _work(feed_source(settings)),
                )
            )
        )
    if settings.market_simulation:
        tasks.append(
            asyncio.create_task(
                run_periodically(
                    runtime,
                    MARKET_JOB,
                    settings.market_interval_seconds,
                    _work(market_source(settings)),
                )
            )
        )
    return tasks
