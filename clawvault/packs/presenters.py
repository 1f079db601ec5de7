"""Packs as the Partner API shows them (§2.1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.money import basis_points_to_fraction, cents_to_number
from clawvault.core.timeutil import isoformat
from clawvault.packs.domain import Tier


def number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def tier_json(tier: Tier) -> dict[str, Any]:
    return {
        "id": tier.tier_id,
        "name": tier.name,
        "color": tier.color,
        "lower": cents_to_number(tier.lower_cents),
        "upper": cents_to_number(tier.upper_cents),
        "weight": number(tier.weight),
    }


def pack_json(pack: RowMapping, tiers: list[Tier], in_stock: bool) -> dict[str, Any]:
    return {
        "id": pack["id"],
        "slug": pack["slug"],
        "platform": pack["platform"],
        "name": pack["name"],
        "description": pack["description"],
        "enable": pack["enable"],
        "mint_price": cents_to_number(pack["mint_price_cents"]),
        "max_per_mint": pack["max_per_mint"],
        "in_stock": in_stock,
        "categories": pack["categories"],
        "ev": cents_to_number(pack["ev_cents"]),
        "min_ev": cents_to_number(pack["min_ev_cents"]),
        "max_ev": cents_to_number(pack["max_ev_cents"]),
        "ev_updated_at": isoformat(pack["ev_updated_at"]),
        "buyback_percent": basis_points_to_fraction(pack["buyback_bps"]),
        "claw_image_url": pack["claw_image_url"],
        "rarity_distribution": [tier_json(t) for t in tiers],
    }


def chase_json(card: RowMapping) -> dict[str, Any]:
    return {
        "id": card["id"],
        "name": card["name"],
        "image": card["image"],
        "back_image": card["back_image"],
        "fmv": cents_to_number(card["fmv_cents"]),
    }
