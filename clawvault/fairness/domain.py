"""Pure rules of provably fair pulls, shared by production and the sandbox: the draw stream of a
committed seed, client seed validation, and the JSON of commitments, receipts and odds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.money import cents_to_number
from clawvault.core.timeutil import isoformat
from clawvault.fairness.errors import InvalidClientSeed
from clawvault.fairness.verify import ALGORITHM, digest, odds_hash, pool_key, unit_number
from clawvault.packs.domain import Tier, TierTable, odds_canonical
from clawvault.packs.presenters import number

# client_seed: printable ASCII without the space (it joins "{client_seed}:{nonce}").
CLIENT_SEED_PATTERN = "^[!-~]{1,64}$"

WINDOWS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("all", None))


@dataclass(frozen=True)
class Draw:
    nonce: int
    u: float
    key: int


class DrawStream:
    """The draws of one request: consecutive nonces of the user's committed seed."""

    def __init__(self, seed: Mapping[str, Any], first_nonce: int) -> None:
        self.seed_id: int = seed["id"]
        self._server_seed = bytes.fromhex(seed["server_seed"])
        self._client_seed: str = seed["client_seed"]
        self._next = first_nonce

    def next(self) -> Draw:
        nonce, self._next = self._next, self._next + 1
        raw = digest(self._server_seed, self._client_seed, nonce)
        return Draw(nonce, unit_number(raw), pool_key(raw))


def valid_client_seed(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 64
        or not all(32 < ord(c) < 127 for c in value)
    ):
        raise InvalidClientSeed()
    return value


def commitment_json(user_id: str, seed: RowMapping) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "algorithm": ALGORITHM,
        "server_seed_hash": seed["server_seed_hash"],
        "client_seed": seed["client_seed"],
        "next_nonce": seed["next_nonce"],
    }


def revealed_json(seed: RowMapping, now: datetime) -> dict[str, Any]:
    return {
        "server_seed": seed["server_seed"],
        "server_seed_hash": seed["server_seed_hash"],
        "client_seed": seed["client_seed"],
        "nonces_used": seed["next_nonce"],
        "revealed_at": isoformat(now),
    }


def receipt_json(
    session_id: str, session: RowMapping, draws: Sequence[RowMapping]
) -> dict[str, Any]:
    """A receipt. A draw row with an `odds_canonical` of its own (sandbox draws: the tiers that
    had a candidate) puts that table and its hash on the card; the verifier then checks the
    card's tier against it, and that it is the receipt's table less some tiers."""
    cards = []
    for d in draws:
        card = {
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
        own_odds = d.get("odds_canonical")
        if own_odds is not None:
            card["odds_canonical"] = own_odds
            card["odds_hash"] = odds_hash(own_odds)
        cards.append(card)
    return {
        "session_id": session_id,
        "pack_id": session["pack_id"],
        "user_id": session["user_id"],
        "algorithm": ALGORITHM,
        "odds_canonical": session["odds_canonical"],
        "odds_hash": odds_hash(session["odds_canonical"]),
        "created_at": isoformat(session["created_at"]),
        "cards": cards,
    }


def odds_json(
    pack_id: str,
    tiers: Sequence[Tier],
    available: Mapping[int, int],
    realized: Mapping[str, Mapping[int, int]],
    now: datetime,
) -> dict[str, Any]:
    """The published odds of a pack: realized holds pull counts by tier for each of WINDOWS."""
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
