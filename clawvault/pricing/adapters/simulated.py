"""A simulated market for the demo: each turn moves a sample of cards by a seeded random walk
(with rare jumps), so prices, tiers and EV visibly move under `make run`."""

from __future__ import annotations

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.packs.domain import Tier
from clawvault.packs.repository import PackRepository
from clawvault.pricing.adapters.base import Fetched
from clawvault.pricing.domain import (
    MarketModel,
    PriceQuote,
    is_stale,
    max_price_age,
    tick_random,
)
from clawvault.pricing.repository import PricedCard, PriceRepository


class SimulatedMarket:
    def __init__(
        self,
        seed: int,
        model: MarketModel | None = None,
        cards_per_turn: int = 250,
        source: str = "market-sim",
    ) -> None:
        self.name = source
        self.seed = seed
        self.model = model or MarketModel()
        self.cards_per_turn = cards_per_turn

    async def fetch(self, runtime: Runtime, unit: Unit, turn: int) -> Fetched:
        """The same seed, turn and starting prices give the same moves: every stale price, and
        a sample of the others."""
        now = runtime.clock()

        async def read(conn: Conn) -> tuple[list[PricedCard], dict[str, list[Tier]]]:
            return await PriceRepository(conn).priced_cards(), await PackRepository(
                conn
            ).tiers_by_pack()

        cards, tiers = await unit.read(read)
        rng = tick_random(self.seed, turn)
        # A demo database opened again after a week: its stale prices move at the first turn,
        # so a sellback is never refused for a price the market would have moved long ago.
        max_age = max_price_age(runtime.settings.price_max_age_hours)
        stale = [card for card in cards if is_stale(card.fmv_as_of, now, max_age)]
        fresh = [card for card in cards if not is_stale(card.fmv_as_of, now, max_age)]
        chosen = stale + rng.sample(fresh, min(self.cards_per_turn, len(fresh)))
        quotes = []
        for card in chosen:
            tier = _tier(tiers.get(card.pack_id, []), card.tier_id)
            fmv = self.model.step(rng, card.fmv_cents, tier)
            quotes.append(PriceQuote(card.card_id, fmv, self.name, now))
        return Fetched(quotes)


def _tier(tiers: list[Tier], tier_id: int | None) -> Tier | None:
    return next((t for t in tiers if t.tier_id == tier_id), None)
