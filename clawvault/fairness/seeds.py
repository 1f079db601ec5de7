"""The life of committed seeds, in either seed table: production's (per partner and user) or
the sandbox's (per sandbox key and user). One implementation for both, so a sandbox seed is
committed, used and revealed exactly as a production one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.randomness import Randomness
from clawvault.fairness.domain import DrawStream, commitment_json, revealed_json
from clawvault.fairness.repository import SeedRepository
from clawvault.fairness.verify import seed_hash


def _new_seed(randomness: Randomness, client_seed: str | None, now: datetime) -> dict[str, Any]:
    server_seed = randomness.token_bytes(32).hex()
    return {
        "server_seed": server_seed,
        "server_seed_hash": seed_hash(server_seed),
        "client_seed": client_seed or randomness.token_bytes(16).hex(),
        "next_nonce": 0,
        "created_at": now,
    }


async def active_seed(
    seeds: SeedRepository, randomness: Randomness, user_id: str, now: datetime
) -> RowMapping:
    """The user's active seed, committed on first use."""
    seed = await seeds.active_seed(user_id, lock=True)
    if seed is None:
        await seeds.add_seed(user_id, _new_seed(randomness, None, now))
        seed = await seeds.active_seed(user_id, lock=True)
        assert seed is not None
    return seed


async def draw_stream(
    seeds: SeedRepository, randomness: Randomness, user_id: str, count: int, now: datetime
) -> DrawStream:
    reserved = await seeds.reserve_active_nonces(user_id, count)
    if reserved is None:  # the user's first draw: commit a seed
        await seeds.add_seed(user_id, _new_seed(randomness, None, now))
        reserved = await seeds.reserve_active_nonces(user_id, count)
        assert reserved is not None
    return DrawStream(reserved, reserved["next_nonce"] - count)


async def set_client_seed(
    seeds: SeedRepository, randomness: Randomness, user_id: str, client_seed: str, now: datetime
) -> dict[str, Any]:
    seed = await active_seed(seeds, randomness, user_id, now)
    await seeds.set_client_seed(seed["id"], client_seed)
    updated = await seeds.active_seed(user_id)
    assert updated is not None
    return commitment_json(user_id, updated)


async def rotate(
    seeds: SeedRepository, randomness: Randomness, user_id: str, now: datetime
) -> dict[str, Any]:
    """Reveals the active server seed and commits a new one (the client seed carries over)."""
    old = await active_seed(seeds, randomness, user_id, now)
    await seeds.reveal(old["id"], now)
    await seeds.add_seed(user_id, _new_seed(randomness, old["client_seed"], now))
    new = await seeds.active_seed(user_id)
    assert new is not None
    return {"revealed": revealed_json(old, now), "current": commitment_json(user_id, new)}
