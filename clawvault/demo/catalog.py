"""A deterministic, realistic demo catalog: packs over sports and trading card games, graded
slabs with plausible names, FMVs spread so that every tier of every pack has stock."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from clawvault.core.ids import address_from_bytes, base58_encode
from clawvault.core.randomness import POOL_KEY_SPACE
from clawvault.demo.names import GRADES, PARALLELS, SETS, SUBJECTS

# (name, color, lower × mint price, upper × mint price, weight)
TIER_SHAPE = (
    ("Common", "#9CA3AF", 0.30, 0.70, 65.0),
    ("Uncommon", "#22C55E", 0.70, 1.20, 22.0),
    ("Rare", "#3B82F6", 1.20, 3.00, 9.0),
    ("Epic", "#A855F7", 3.00, 10.00, 3.3),
    ("Legendary", "#F59E0B", 10.00, 50.00, 0.7),
)
# Share of a pack's cards per tier: more than the odds for the rare tiers, so each keeps stock.
TIER_STOCK_SHARE = (0.55, 0.24, 0.12, 0.06, 0.03)


@dataclass(frozen=True)
class PackSpec:
    slug: str
    name: str
    description: str
    categories: tuple[str, ...]
    mint_price_cents: int
    max_per_mint: int
    share: float  # of all demo cards


PACKS = (
    PackSpec(
        "baseball-legends",
        "Baseball Legends",
        "Graded baseball slabs, vintage to modern.",
        ("Baseball",),
        25_00,
        10,
        0.18,
    ),
    PackSpec(
        "hoops-vault",
        "Hoops Vault",
        "PSA and BGS basketball cards: rookies to icons.",
        ("Basketball",),
        50_00,
        10,
        0.16,
    ),
    PackSpec(
        "gridiron-gold",
        "Gridiron Gold",
        "Football rookies, autos and numbered parallels.",
        ("Football",),
        25_00,
        10,
        0.14,
    ),
    PackSpec(
        "pokemon-power-pulls",
        "Pokémon Power Pulls",
        "Graded Pokémon from Base Set to 151.",
        ("Pokemon",),
        50_00,
        10,
        0.18,
    ),
    PackSpec(
        "trainer-box",
        "Trainer's Box",
        "An entry pack of graded modern Pokémon.",
        ("Pokemon",),
        10_00,
        20,
        0.14,
    ),
    PackSpec(
        "multi-sport-mystery",
        "Multi-Sport Mystery",
        "Baseball, basketball and football.",
        ("Baseball", "Basketball", "Football"),
        100_00,
        5,
        0.12,
    ),
    PackSpec(
        "tcg-grails",
        "TCG Grails",
        "Magic, Yu-Gi-Oh! and One Piece slabs.",
        ("Magic", "Yu-Gi-Oh", "One Piece"),
        250_00,
        3,
        0.08,
    ),
)

TYPES = (("enft", 0.50), ("ebay", 0.30), ("fanatics", 0.10), ("alt", 0.07), ("external", 0.03))
CUSTODIANS = {
    "enft": "PSA Vault",
    "ebay": "PSA Vault",
    "fanatics": "Fanatics Collect",
    "alt": "Alt",
    "external": "PSA Vault",
}


def pack_id_for(seed: int, slug: str) -> str:
    return address_from_bytes(f"clawvault-demo:{seed}:pack:{slug}".encode())


def pack_rows(seed: int, now: datetime, pictures: str) -> list[dict[str, Any]]:
    """`pictures`: the base URL of the demo's pictures (clawvault serves them under /demo)."""
    return [
        {
            "id": pack_id_for(seed, spec.slug),
            "slug": spec.slug,
            "platform": "mainnet",
            "name": spec.name,
            "description": spec.description,
            "enable": True,
            "mint_price_cents": spec.mint_price_cents,
            "max_per_mint": spec.max_per_mint,
            "categories": list(spec.categories),
            "buyback_bps": 8500,
            "buyback_window_seconds": 7 * 24 * 3600,
            "claw_image_url": f"{pictures}/claws/{spec.slug}.svg",
            "ev_cents": 0,
            "min_ev_cents": 0,
            "max_ev_cents": 0,
            "ev_updated_at": now,
            "created_at": now,
        }
        for spec in PACKS
    ]


def tier_rows(seed: int) -> list[dict[str, Any]]:
    rows = []
    for spec in PACKS:
        for tier_id, (name, color, low, high, weight) in enumerate(TIER_SHAPE, start=1):
            rows.append(
                {
                    "pack_id": pack_id_for(seed, spec.slug),
                    "tier_id": tier_id,
                    "name": name,
                    "color": color,
                    "lower_cents": round(spec.mint_price_cents * low),
                    "upper_cents": round(spec.mint_price_cents * high),
                    "weight": weight,
                }
            )
    return rows


def _pick_type(rng: random.Random) -> str:
    roll = rng.random()
    for card_type, share in TYPES:
        if roll < share:
            return card_type
        roll -= share
    return "enft"


def _card_id(rng: random.Random, card_type: str, serial: int) -> str:
    if card_type == "enft":
        return base58_encode(rng.randbytes(32))
    if card_type == "ebay":
        return f"v1|{110_000_000_000 + serial * 7919 % 899_999_999_999}|0"
    if card_type == "fanatics":
        return f"fanatics|{3_000_000_000 + serial}"
    if card_type == "alt":
        return f"alt|{rng.randbytes(8).hex()}"
    return f"ext|{rng.randbytes(8).hex()}"


def _card(
    rng: random.Random,
    seed: int,
    spec: PackSpec,
    serial: int,
    fmv_cents: int,
    tier_id: int,
    now: datetime,
    pictures: str,
) -> dict[str, Any]:
    category = rng.choice(spec.categories)
    subject = rng.choice(SUBJECTS[category])
    card_set = rng.choice(SETS[category])
    year = rng.randint(1952, 2025) if category == "Baseball" else rng.randint(1986, 2025)
    if category == "Pokemon":
        year = 1999 if card_set == "Base Set" else rng.randint(2019, 2025)
    number = rng.randint(1, 350)
    parallel, print_run = rng.choice(PARALLELS)
    grader, grade = rng.choice(GRADES)
    card_type = _pick_type(rng)
    card_id = _card_id(rng, card_type, serial)
    parts = [str(year), card_set, subject, f"#{number}"]
    if parallel != "Base":
        parts.append(parallel if print_run is None else f"{parallel} /{print_run}")
    parts.append(f"{grader} {grade.removesuffix('.0')}")
    attributes = [
        {"trait_type": "Year", "value": str(year)},
        {"trait_type": "Category", "value": category},
        {
            "trait_type": "Player"
            if category not in ("Pokemon", "Magic", "Yu-Gi-Oh", "One Piece")
            else "Character",
            "value": subject,
        },
        {"trait_type": "Set", "value": card_set},
        {"trait_type": "Parallel", "value": parallel},
        {"trait_type": "Grader", "value": grader},
        {"trait_type": "Grade", "value": f"{grader} {grade}"},
        {"trait_type": "Cert Number", "value": str(rng.randrange(10**7, 10**9))},
    ]
    if print_run is not None:
        attributes.append(
            {"trait_type": "Serial", "value": f"{rng.randint(1, print_run)}/{print_run}"}
        )
    on_chain = card_type == "enft"
    return {
        "id": card_id,
        "pack_id": pack_id_for(seed, spec.slug),
        "name": " ".join(parts),
        "image": f"{pictures}/cards/{quote(card_id, safe='')}/front.svg",
        "back_image": f"{pictures}/cards/{quote(card_id, safe='')}/back.svg",
        "attributes": attributes,
        "type": card_type,
        "custodian": CUSTODIANS[card_type],
        "mint_address": card_id if on_chain else None,
        "collection_address": address_from_bytes(f"collection:{spec.slug}".encode())
        if on_chain
        else None,
        "token_standard": "ProgrammableNonFungible" if on_chain else None,
        "fmv_cents": fmv_cents,
        "fmv_source": "demo-seed",
        "fmv_as_of": now,
        "tier_id": tier_id,
        "pool_key": rng.randrange(POOL_KEY_SPACE),
        "status": "available",
        "updated_at": now,
    }


def card_rows(
    seed: int, total_cards: int, now: datetime, pictures: str
) -> Iterator[dict[str, Any]]:
    """Cards in deterministic order; FMVs log-uniform inside each tier's band."""
    rng = random.Random(seed)
    serial = 0
    for spec in PACKS:
        pack_cards = max(len(TIER_SHAPE) * 3, round(total_cards * spec.share))
        for tier_id, ((_n, _c, low, high, _w), share) in enumerate(
            zip(TIER_SHAPE, TIER_STOCK_SHARE, strict=True), start=1
        ):
            lower = round(spec.mint_price_cents * low)
            upper = round(spec.mint_price_cents * high)
            for _ in range(max(3, round(pack_cards * share))):
                fmv = math.exp(rng.uniform(math.log(lower), math.log(upper)))
                fmv_cents = min(upper - 1, max(lower, round(fmv)))
                serial += 1
                yield _card(rng, seed, spec, serial, fmv_cents, tier_id, now, pictures)


def count_cards(total_cards: int) -> int:
    count = 0
    for spec in PACKS:
        pack_cards = max(len(TIER_SHAPE) * 3, round(total_cards * spec.share))
        count += sum(max(3, round(pack_cards * share)) for share in TIER_STOCK_SHARE)
    return count
