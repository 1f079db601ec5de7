"""clawvault-fair-v1: the provably fair draw, and a verifier of pull receipts.

Standard library only, so anyone can copy this one file and check their pulls without the
server. The algorithm (also in the README):

    digest = HMAC-SHA256(key = server_seed (32 bytes), message = f"{client_seed}:{nonce}" UTF-8)
    u      = (first 8 bytes of digest, big-endian, >> 11) / 2**53        # in [0, 1)
    key    = (bytes 8..15 of digest, big-endian) >> 2                    # in [0, 2**62)
    tier   = walking the tiers with weight > 0 in increasing id order, summing their weights in
             IEEE-754 double precision, the first tier whose running sum exceeds u × (sum of
             all those weights); the last such tier if none does
    card   = the available card of that tier with the smallest pool key >= key (wrapping to the
             smallest pool key of the tier when there is none)

The odds table is the receipt's odds_canonical, or a card's own odds_canonical when it has one
(sandbox cards: the receipt's table less the tiers that had no candidate for that draw).

The server seed is committed by publishing sha256(server_seed) before it is used, and revealed
when the user rotates to a new seed. The nonce counts every card drawn with one server seed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "clawvault-fair-v1"
KEY_BITS = 62


def digest(server_seed: bytes, client_seed: str, nonce: int) -> bytes:
    return hmac.new(server_seed, f"{client_seed}:{nonce}".encode(), hashlib.sha256).digest()


def unit_number(raw: bytes) -> float:
    return (int.from_bytes(raw[:8], "big") >> 11) / float(1 << 53)


def pool_key(raw: bytes) -> int:
    return int.from_bytes(raw[8:16], "big") >> (64 - KEY_BITS)


def pick_tier(u: float, odds: Sequence[tuple[int, float]]) -> int:
    """odds: (tier id, weight) pairs; returns the tier id drawn by u."""
    drawable = sorted((tier_id, weight) for tier_id, weight in odds if weight > 0)
    if not drawable:
        raise ValueError("no tier with a positive weight")
    total = 0.0
    for _, weight in drawable:
        total += weight
    target = u * total
    running = 0.0
    for tier_id, weight in drawable:
        running += weight
        if target < running:
            return tier_id
    return drawable[-1][0]


def seed_hash(server_seed_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(server_seed_hex)).hexdigest()


def odds_hash(odds_canonical: str) -> str:
    return hashlib.sha256(odds_canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CardCheck:
    position: int
    item_id: str
    passed: bool
    problems: tuple[str, ...]


def _table(canonical: str) -> dict[int, tuple[float, int, int]]:
    """An odds table's tiers: id -> (weight, lower_cents, upper_cents)."""
    return {
        int(t["id"]): (float(t["weight"]), int(t["lower_cents"]), int(t["upper_cents"]))
        for t in json.loads(canonical)
    }


def _odds_problems(receipt: dict[str, Any], card: dict[str, Any]) -> tuple[str, list[str]]:
    """The odds table a card's tier was drawn from (its own when it has one, as sandbox cards
    do, else the receipt's) and what is wrong with it."""
    problems = []
    if odds_hash(receipt["odds_canonical"]) != receipt["odds_hash"]:
        problems.append("odds_hash does not match the odds table")
    if "odds_canonical" not in card and "odds_hash" not in card:
        return receipt["odds_canonical"], problems
    canonical = card.get("odds_canonical", "")
    if odds_hash(canonical) != card.get("odds_hash"):
        problems.append("the card's odds_hash does not match its odds table")
    try:
        own, published = _table(canonical), _table(receipt["odds_canonical"])
    except (ValueError, KeyError, TypeError):
        return receipt["odds_canonical"], [*problems, "the card's odds table is not readable"]
    if any(published.get(tier_id) != tier for tier_id, tier in own.items()):
        problems.append("the card's odds table is not the receipt's table less some tiers")
    return canonical, problems


def verify_receipt(receipt: dict[str, Any]) -> list[CardCheck]:
    """Recomputes every card of a receipt from its revealed server seed."""
    results = []
    for card in receipt["cards"]:
        canonical, problems = _odds_problems(receipt, card)
        tiers = _table(canonical)
        if receipt.get("algorithm") != ALGORITHM:
            problems.append(f"unknown algorithm {receipt.get('algorithm')!r}")
        server_seed = card.get("server_seed")
        if not server_seed:
            problems.append("server seed not revealed yet: rotate the seed, then verify")
        else:
            if seed_hash(server_seed) != card["server_seed_hash"]:
                problems.append("server seed does not match its published hash")
            raw = digest(bytes.fromhex(server_seed), card["client_seed"], int(card["nonce"]))
            if unit_number(raw) != float(card["u"]):
                problems.append("drawn number differs from the recomputed one")
            if pool_key(raw) != int(card["drawn_key"]):
                problems.append("drawn pool key differs from the recomputed one")
            odds = [(tier_id, weight) for tier_id, (weight, _, _) in tiers.items()]
            if not any(weight > 0 for _, weight in odds):
                problems.append("the odds table has no tier with a positive weight")
            else:
                tier = pick_tier(unit_number(raw), odds)
                if tier != int(card["tier_id"]):
                    problems.append(f"tier {card['tier_id']} recorded, {tier} recomputed")
        _, lower, upper = tiers.get(int(card["tier_id"]), (0.0, 0, 0))
        if not lower <= int(card["fmv_cents"]) < upper:
            problems.append("the card's FMV at the pull is outside the tier's band")
        if (int(card["card_key"]) < int(card["drawn_key"])) != bool(card["wrapped"]):
            problems.append("wrapped does not match the drawn and card pool keys")
        results.append(
            CardCheck(int(card["position"]), str(card["item_id"]), not problems, tuple(problems))
        )
    return results
