"""Provably fair pulls: committed server seeds, client seeds, nonces, receipts, odds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import isoformat
from clawvault.fairness.errors import InvalidClientSeed, NotInSandbox, ReceiptNotFound
from clawvault.fairness.repository import FairnessRepository
from clawvault.fairness.verify import (
    ALGORITHM,
    digest,
    odds_hash,
    pool_key,
    seed_hash,
    unit_number,
)
from clawvault.packs.domain import TierTable, odds_canonical
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.packs.presenters import number
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller


@dataclass(frozen=True)
class Draw:
    nonce: int
    u: float
    key: int


class DrawStream:
    """The draws of one request: consecutive nonces of the user's committed seed."""

    def __init__(self, seed: RowMapping, first_nonce: int) -> None:
        self.seed_id: int = seed["id"]
        self._server_seed = bytes.fromhex(seed["server_seed"])
        self._client_seed: str = seed["client_seed"]
        self._next = first_nonce

    def next(self) -> Draw:
        nonce, self._next = self._next, self._next + 1
        raw = digest(self._server_seed, self._client_seed, nonce)
        return Draw(nonce, unit_number(raw), pool_key(raw))


async def _active_seed(
    conn: AsyncConnection, runtime: Runtime, partner_id: int, user_id: str, now: datetime
) -> RowMapping:
    repo = FairnessRepository(conn)
    seed = await repo.active_seed(partner_id, user_id, lock=True)
    if seed is None:
        server_seed = runtime.randomness.token_bytes(32).hex()
        await repo.add_seed(
            {
                "partner_id": partner_id,
                "user_id": user_id,
                "server_seed": server_seed,
                "server_seed_hash": seed_hash(server_seed),
                "client_seed": runtime.randomness.token_bytes(16).hex(),
                "next_nonce": 0,
                "created_at": now,
            }
        )
        seed = await repo.active_seed(partner_id, user_id, lock=True)
        assert seed is not None
    return seed


async def draw_stream(
    conn: AsyncConnection,
    runtime: Runtime,
    partner_id: int,
    user_id: str,
    count: int,
    now: datetime,
) -> DrawStream:
    seed = await _active_seed(conn, runtime, partner_id, user_id, now)
    first = await FairnessRepository(conn).reserve_nonces(seed["id"], count)
    return DrawStream(seed, first)


def commitment_json(user_id: str, seed: RowMapping) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "algorithm": ALGORITHM,
        "server_seed_hash": seed["server_seed_hash"],
        "client_seed": seed["client_seed"],
        "next_nonce": seed["next_nonce"],
    }


async def commitment(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    if caller.is_sandbox:
        raise NotInSandbox()
    async with runtime.db.write() as conn:
        seed = await _active_seed(conn, runtime, caller.partner_id, user_id, runtime.clock())
    return commitment_json(user_id, seed)


def _valid_client_seed(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 64
        or not all(32 < ord(c) < 127 for c in value)
    ):
        raise InvalidClientSeed()
    return value


async def set_client_seed(
    runtime: Runtime, caller: Caller, user_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    if caller.is_sandbox:
        raise NotInSandbox()
    client_seed = _valid_client_seed(body.get("client_seed"))
    async with runtime.db.write() as conn:
        seed = await _active_seed(conn, runtime, caller.partner_id, user_id, runtime.clock())
        await FairnessRepository(conn).set_client_seed(seed["id"], client_seed)
        updated = await FairnessRepository(conn).active_seed(caller.partner_id, user_id)
        assert updated is not None
    return commitment_json(user_id, updated)


async def rotate(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    """Reveals the active server seed and commits a new one (the client seed carries over)."""
    if caller.is_sandbox:
        raise NotInSandbox()
    now = runtime.clock()
    async with runtime.db.write() as conn:
        repo = FairnessRepository(conn)
        old = await _active_seed(conn, runtime, caller.partner_id, user_id, now)
        await repo.reveal(old["id"], now)
        server_seed = runtime.randomness.token_bytes(32).hex()
        await repo.add_seed(
            {
                "partner_id": caller.partner_id,
                "user_id": user_id,
                "server_seed": server_seed,
                "server_seed_hash": seed_hash(server_seed),
                "client_seed": old["client_seed"],
                "next_nonce": 0,
                "created_at": now,
            }
        )
        new = await repo.active_seed(caller.partner_id, user_id)
        assert new is not None
    return {
        "revealed": {
            "server_seed": old["server_seed"],
            "server_seed_hash": old["server_seed_hash"],
            "client_seed": old["client_seed"],
            "nonces_used": old["next_nonce"],
            "revealed_at": isoformat(now),
        },
        "current": commitment_json(user_id, new),
    }


async def receipt(runtime: Runtime, caller: Caller, session_id: str) -> dict[str, Any]:
    if caller.is_sandbox:  # sandbox pulls have no receipt; production ones are not shown here
        raise ReceiptNotFound()
    async with runtime.db.read() as conn:
        repo = FairnessRepository(conn)
        session = await repo.session(session_id, caller.partner_id)
        if session is None or session["odds_canonical"] is None:
            raise ReceiptNotFound()
        draws = await repo.session_draws(session_id)
    return {
        "session_id": session_id,
        "pack_id": session["pack_id"],
        "user_id": session["user_id"],
        "algorithm": ALGORITHM,
        "odds_canonical": session["odds_canonical"],
        "odds_hash": odds_hash(session["odds_canonical"]),
        "created_at": isoformat(session["created_at"]),
        "cards": [
            {
                "position": d["position"],
                "item_id": d["card_id"],
                "server_seed_hash": d["server_seed_hash"],
                "server_seed": d["server_seed"] if d["revealed_at"] is not None else None,
                "client_seed": d["client_seed"],
                "nonce": d["nonce"],
                "u": d["draw"],
                "tier_id": d["tier_id"],
                "drawn_key": str(d["drawn_key"]),
                "card_key": str(d["card_key"]),
                "wrapped": d["card_key"] < d["drawn_key"],
                "fmv_cents": d["value_cents"],
            }
            for d in draws
        ],
    }


WINDOWS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("all", None))


async def published_odds(runtime: Runtime, pack_id: str) -> dict[str, Any]:
    now = runtime.clock()
    async with runtime.db.read() as conn:
        pack = await PackRepository(conn).get(pack_id)
        if pack is None:
            raise PackNotFoundByPath()
        tiers = await PackRepository(conn).tiers(pack_id)
        repo = FairnessRepository(conn)
        available = await repo.available_by_tier(pack_id)
        realized = {
            name: await repo.pulls_by_tier(pack_id, None if span is None else now - span)
            for name, span in WINDOWS
        }
    table = TierTable(tiers) if any(t.weight > 0 for t in tiers) else None
    canonical = odds_canonical(tiers)

    def frequency(name: str, tier_id: int) -> dict[str, Any]:
        counts = realized[name]
        total = sum(counts.values())
        count = counts.get(tier_id, 0)
        return {"pulls": count, "frequency": count / total if total else None}

    return {
        "pack_id": pack_id,
        "algorithm": ALGORITHM,
        "odds_hash": odds_hash(canonical),
        "odds_canonical": canonical,
        "as_of": isoformat(now),
        "tiers": [
            {
                "id": t.tier_id,
                "name": t.name,
                "lower": cents_to_number(t.lower_cents),
                "upper": cents_to_number(t.upper_cents),
                "weight": number(t.weight),
                "probability": table.probability(t.tier_id) if table else 0.0,
                "available": available.get(t.tier_id, 0),
                "realized": {name: frequency(name, t.tier_id) for name, _ in WINDOWS},
            }
            for t in tiers
        ],
    }
