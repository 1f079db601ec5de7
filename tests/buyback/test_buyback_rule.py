"""The buyback rounding rule is written once (packs.domain.buyback_cents): the same function
computes it in Python and renders it into the statements that pick their card themselves. Both
databases give Python's answer, the half-cent cases included."""

from __future__ import annotations

import random

from sqlalchemy import BigInteger, Integer, literal, select

from clawvault.core.runtime import Runtime
from clawvault.packs.domain import buyback_cents
from clawvault.settings import Settings
from tests.factories import run

CASES = [(1, 5_000), (3, 5_000), (5, 1_000), (15, 1_000), (25, 200), (999_999_999_999, 8_500)]
CASES += [
    (random.Random(n).randrange(10**12), random.Random(-n).randrange(10_001)) for n in range(40)
]


def test_sql_and_python_round_alike(settings: Settings) -> None:
    async def work(runtime: Runtime) -> list[int]:
        async with runtime.db.read() as conn:
            return [
                (
                    await conn.execute(
                        select(buyback_cents(literal(fmv, BigInteger), literal(bps, Integer)))
                    )
                ).scalar_one()
                for fmv, bps in CASES
            ]

    assert run(settings, work) == [buyback_cents(fmv, bps) for fmv, bps in CASES]
    assert [buyback_cents(c, 5_000) for c in (1, 3, 5)] == [1, 2, 3]  # half a cent rounds up
