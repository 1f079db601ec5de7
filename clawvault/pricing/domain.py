"""Pure rules of prices: quotes with provenance, staleness, the simulated market's step."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from clawvault.core.timeutil import as_utc
from clawvault.packs.domain import Tier


@dataclass(frozen=True)
class PriceQuote:
    """One fair market value of one card, with its provenance."""

    card_id: str
    fmv_cents: int
    source: str
    as_of: datetime


def is_stale(as_of: datetime, now: datetime, max_age: timedelta | None) -> bool:
    """A price older than max_age is stale; max_age None means prices never go stale."""
    return max_age is not None and as_of is not None and now - as_utc(as_of) > max_age


def max_price_age(hours: float) -> timedelta | None:
    return timedelta(hours=hours) if hours > 0 else None


@dataclass(frozen=True)
class MarketModel:
    """A random walk in log-price, gently pulled towards the middle of the card's tier band
    (so tiers keep stock over a long demo), with rare jumps that move cards across bands."""

    volatility: float = 0.02
    reversion: float = 0.02
    jump_probability: float = 0.01
    jump_scale: float = 0.5

    def step(self, rng: random.Random, fmv_cents: int, tier: Tier | None) -> int:
        log_price = math.log(max(fmv_cents, 1))
        if tier is not None and tier.lower_cents > 0:
            centre = (math.log(tier.lower_cents) + math.log(tier.upper_cents)) / 2
            log_price += self.reversion * (centre - log_price)
        log_price += rng.gauss(0.0, self.volatility)
        if rng.random() < self.jump_probability:
            log_price += rng.choice((-1.0, 1.0)) * rng.uniform(0.2, 1.0) * self.jump_scale
        return max(1, round(math.exp(log_price)))


def tick_random(seed: int, tick: int) -> random.Random:
    """The randomness of one market tick: the same seed and tick give the same moves."""
    return random.Random(f"clawvault-market:{seed}:{tick}")
