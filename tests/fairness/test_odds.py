"""The published odds hold: tier frequencies of many seeded pulls pass a chi-square test, and
every card comes from the FMV band of the tier drawn."""

from __future__ import annotations

import pytest
from scipy.stats import chisquare
from sqlalchemy import text

from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.pulls.service import buy
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner, run

TIERS = ((100, 500, 55.0), (500, 2_000, 30.0), (2_000, 10_000, 12.0), (10_000, 50_000, 3.0))
PULLS = 20_000


# The draw is the same code on both databases: 20,000 pulls run once, on SQLite.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tier_frequencies_match_the_published_odds(settings: Settings) -> None:
    make_partner(settings, "odds")
    pack_id = make_pack(
        settings,
        tiers=TIERS,
        cards_per_tier=(12_500, 7_000, 3_000, 900),
        max_per_mint=10,
        clock=utcnow,
    )

    async def work(runtime: Runtime) -> tuple[dict[int, int], int]:
        runtime.randomness = SeededRandomness(424242)
        caller = Caller(partner_id=1, environment=Environment.PRODUCTION)
        for i in range(PULLS // 10):
            await buy(
                runtime,
                Unit(runtime.db),
                caller,
                {"id": pack_id, "amount": 10, "user_id": f"u{i % 50}"},
            )
        async with runtime.db.read() as conn:
            counts = dict(
                (
                    await conn.execute(text("SELECT tier_id, count(*) FROM pulls GROUP BY tier_id"))
                ).all()
            )
            outside = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pulls p JOIN cards c ON c.id = p.card_id "
                        "JOIN pack_tiers t ON t.pack_id = p.pack_id AND t.tier_id = p.tier_id "
                        "WHERE c.fmv_cents < t.lower_cents OR c.fmv_cents >= t.upper_cents"
                    )
                )
            ).scalar_one()
        return counts, int(outside)

    counts, outside = run(settings, work)
    assert sum(counts.values()) == PULLS
    assert outside == 0
    total_weight = sum(w for _, _, w in TIERS)
    observed = [counts.get(i, 0) for i in range(1, len(TIERS) + 1)]
    expected = [PULLS * w / total_weight for _, _, w in TIERS]
    assert chisquare(observed, expected).pvalue > 0.001


def test_a_biased_draw_would_fail_the_test() -> None:
    """The statistic can fail: shifting 3% of pulls between tiers is detected."""
    total_weight = sum(w for _, _, w in TIERS)
    expected = [PULLS * w / total_weight for _, _, w in TIERS]
    biased = [expected[0] + 600, expected[1] - 600, expected[2], expected[3]]
    assert chisquare(biased, expected).pvalue < 0.001
