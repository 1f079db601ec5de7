"""Plain factory functions for test data, written through the real services and tables."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.core.ids import address_from_bytes
from clawvault.core.randomness import POOL_KEY_SPACE
from clawvault.core.runtime import Runtime
from clawvault.db.engine import Database
from clawvault.db.models import Card, Environment, Pack, PackTier, WebhookEndpoint
from clawvault.db.unit import Unit
from clawvault.packs.domain import Tier, tier_for_fmv
from clawvault.packs.service import refresh_ev
from clawvault.partners.service import create_key, create_partner
from clawvault.settings import Settings

T = TypeVar("T")
_counter = itertools.count(1)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 27, 12, 0, 0, 123000, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def run(
    settings: Settings,
    work: Callable[[Runtime], Awaitable[T]],
    clock: Callable[[], datetime] | None = None,
) -> T:
    async def main() -> T:
        runtime = Runtime(db=Database(settings.database_url, settings), settings=settings)
        if clock is not None:
            runtime.clock = clock
        try:
            return await work(runtime)
        finally:
            await runtime.db.dispose()

    return asyncio.run(main())


@dataclass(frozen=True)
class PartnerKeys:
    name: str
    key: str
    sandbox_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


def make_partner(settings: Settings, name: str | None = None) -> PartnerKeys:
    name = name or f"partner-{next(_counter)}"

    async def work(runtime: Runtime) -> PartnerKeys:
        await create_partner(Unit(runtime.db), name)
        return PartnerKeys(
            name,
            await create_key(Unit(runtime.db), name, Environment.PRODUCTION),
            await create_key(Unit(runtime.db), name, Environment.SANDBOX),
        )

    return run(settings, work)


DEFAULT_TIERS = ((100, 500, 70.0), (500, 2_000, 25.0), (2_000, 10_000, 5.0))


def make_pack(
    settings: Settings,
    *,
    tiers: tuple[tuple[int, int, float], ...] = DEFAULT_TIERS,
    cards_per_tier: int | tuple[int, ...] = 10,
    mint_price_cents: int = 1_000,
    max_per_mint: int = 10,
    enable: bool = True,
    buyback_bps: int = 8_500,
    window_seconds: int | None = 7 * 24 * 3600,
    slug: str | None = None,
    seed: int = 7,
    card_type: str = "enft",
    clock: Callable[[], datetime],
) -> str:
    """A pack with cards spread evenly over each tier's band; returns its id.

    `clock` is the clock the test runs on: its `clock` fixture when the app runs on a FakeClock,
    `utcnow` when servers or services run on the real one. Its prices, its EV and its stamps are
    as of that clock, so a fixed date never meets the real clock (a price stamped 2026-11-27 is
    stale a week later)."""
    number = next(_counter)
    pack_id = address_from_bytes(f"test-pack-{number}-{random.random()}".encode())
    slug = slug or f"test-pack-{number}"
    now = clock()
    rng = random.Random(seed)
    tier_objects = [
        Tier(i, f"Tier {i}", "#123456", low, high, weight)
        for i, (low, high, weight) in enumerate(tiers, start=1)
    ]
    counts = cards_per_tier if isinstance(cards_per_tier, tuple) else (cards_per_tier,) * len(tiers)
    cards: list[dict[str, Any]] = []
    for tier, count in zip(tier_objects, counts, strict=True):
        for index in range(count):
            fmv = tier.lower_cents + (tier.upper_cents - tier.lower_cents) * index // max(count, 1)
            card_id = (
                address_from_bytes(f"{pack_id}-{tier.tier_id}-{index}".encode())
                if card_type == "enft"
                else f"v1|{number:04d}{tier.tier_id}{index:06d}|0"
            )
            cards.append(
                {
                    "id": card_id,
                    "pack_id": pack_id,
                    "name": f"Card {tier.tier_id}-{index}",
                    "image": f"https://cdn.example/{tier.tier_id}-{index}.jpg",
                    "back_image": None,
                    "attributes": [
                        {"trait_type": "Year", "value": "2024"},
                        {"trait_type": "Category", "value": "Pokemon"},
                        {"trait_type": "Grader", "value": "PSA"},
                        {"trait_type": "Grade", "value": "PSA 10.0"},
                    ],
                    "type": card_type,
                    "custodian": "PSA Vault",
                    "mint_address": card_id if card_type == "enft" else None,
                    "collection_address": "Co11ection" if card_type == "enft" else None,
                    "token_standard": "ProgrammableNonFungible" if card_type == "enft" else None,
                    "fmv_cents": fmv,
                    "fmv_source": "test",
                    "fmv_as_of": now,
                    "tier_id": tier_for_fmv(tier_objects, fmv),
                    "pool_key": rng.randrange(POOL_KEY_SPACE),
                    "status": "available",
                    "updated_at": now,
                }
            )

    async def work(runtime: Runtime) -> str:
        async with runtime.db.write() as conn:
            await conn.execute(
                insert(Pack).values(
                    id=pack_id,
                    slug=slug,
                    platform="mainnet",
                    name=f"Test pack {number}",
                    description="",
                    enable=enable,
                    mint_price_cents=mint_price_cents,
                    max_per_mint=max_per_mint,
                    categories=["Pokemon"],
                    buyback_bps=buyback_bps,
                    buyback_window_seconds=window_seconds,
                    claw_image_url="https://cdn.example/claw.png",
                    ev_updated_at=now,
                    created_at=now,
                )
            )
            await conn.execute(
                insert(PackTier),
                [
                    {
                        "pack_id": pack_id,
                        "tier_id": t.tier_id,
                        "name": t.name,
                        "color": t.color,
                        "lower_cents": t.lower_cents,
                        "upper_cents": t.upper_cents,
                        "weight": t.weight,
                    }
                    for t in tier_objects
                ],
            )
            if cards:
                await conn.execute(insert(Card), cards)
        await refresh_ev(runtime, Unit(runtime.db), pack_id)
        return pack_id

    return run(settings, work, clock)


ADDRESS = {
    "name": "Ada Collector",
    "line1": "1 Market St",
    "city": "San Francisco",
    "state": "CA",
    "postal_code": "94105",
    "country": "US",
}


async def add_endpoint(
    conn: AsyncConnection, partner_id: int, environment: str, events: list[str]
) -> None:
    """A webhook endpoint of the partner, written straight into the database."""
    await conn.execute(
        insert(WebhookEndpoint).values(
            id=f"we_{partner_id}_{environment}",
            partner_id=partner_id,
            environment=environment,
            url="https://partner.example/hooks",
            secret="s",
            events=events,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )


def post_scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope a server hands an app for a POST to `path` with `headers`."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
