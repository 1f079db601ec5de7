"""A pack record (import file row or admin request) checked into a PackSpec."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from clawvault.catalog import fields as f
from clawvault.core.ids import address_from_bytes
from clawvault.core.money import BASIS_POINTS, cents_to_number
from clawvault.packs.domain import Tier

PACK_FIELDS = {
    "id",
    "slug",
    "platform",
    "name",
    "description",
    "enable",
    "mint_price",
    "max_per_mint",
    "categories",
    "buyback_percent",
    "buyback_window_days",
    "claw_image_url",
    "tiers",
}
PACK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
NO_EXPIRY = {"none", "never", "0"}


@dataclass(frozen=True)
class PackSpec:
    id: str
    slug: str | None
    platform: str
    name: str
    description: str
    enable: bool
    mint_price_cents: int
    max_per_mint: int
    categories: list[str]
    buyback_bps: int
    buyback_window_seconds: int | None
    claw_image_url: str
    tiers: tuple[Tier, ...] = field(default_factory=tuple)

    def pack_values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "platform": self.platform,
            "name": self.name,
            "description": self.description,
            "enable": self.enable,
            "mint_price_cents": self.mint_price_cents,
            "max_per_mint": self.max_per_mint,
            "categories": self.categories,
            "buyback_bps": self.buyback_bps,
            "buyback_window_seconds": self.buyback_window_seconds,
            "claw_image_url": self.claw_image_url,
        }


def pack_id_for_slug(slug: str) -> str:
    """A pack without an id gets a stable one from its slug: re-imports find the same pack."""
    return address_from_bytes(f"clawvault-pack:{slug}".encode())


def parse_pack(
    record: dict[str, Any], default_window_days: float
) -> tuple[PackSpec | None, list[str]]:
    reasons: list[str] = []
    slug = f.checked(reasons, lambda: f.text(record, "slug", max_length=120, required=False))
    if slug is not None and not SLUG.match(slug):
        reasons.append("slug must be lowercase letters, digits and dashes")
    pack_id = f.checked(reasons, lambda: f.text(record, "id", max_length=64, required=False))
    if pack_id is None and slug is not None:
        pack_id = pack_id_for_slug(slug)
    elif pack_id is None and not reasons:
        reasons.append("id or slug is required")
    elif pack_id is not None and not PACK_ID.match(pack_id):
        reasons.append("id must be 1 to 64 letters, digits, '_' or '-'")
    name = f.checked(reasons, lambda: f.required_text(record, "name", max_length=200))
    mint = f.checked(reasons, lambda: f.money_cents(record, "mint_price", minimum_cents=1))
    max_per_mint = f.checked(
        reasons, lambda: f.integer(record, "max_per_mint", minimum=1, maximum=1000)
    )
    bps = f.checked(reasons, lambda: f.fraction_bps(record, "buyback_percent"))
    window = f.checked(reasons, lambda: _window_seconds(record, default_window_days))
    tiers = f.checked(reasons, lambda: parse_tiers(record.get("tiers")))
    values = {
        "platform": f.checked(
            reasons, lambda: f.text(record, "platform", max_length=32, required=False)
        ),
        "description": f.checked(
            reasons, lambda: f.text(record, "description", max_length=10_000, required=False)
        ),
        "claw_image_url": f.checked(
            reasons, lambda: f.text(record, "claw_image_url", max_length=500, required=False)
        ),
        "categories": f.checked(reasons, lambda: f.string_list(record, "categories")),
        "enable": f.checked(reasons, lambda: f.boolean(record, "enable", default=True)),
    }
    if reasons:
        return None, reasons
    return (
        PackSpec(
            id=pack_id,
            slug=slug,
            platform=values["platform"] or "mainnet",
            name=name,
            description=values["description"] or "",
            enable=values["enable"],
            mint_price_cents=mint,
            max_per_mint=max_per_mint,
            categories=values["categories"],
            buyback_bps=bps,
            buyback_window_seconds=window,
            claw_image_url=values["claw_image_url"] or "",
            tiers=tuple(tiers),
        ),
        [],
    )


def _window_seconds(record: dict[str, Any], default_days: float) -> int | None:
    value = record.get("buyback_window_days")
    if f.is_blank(value):
        return round(default_days * 86_400) if default_days > 0 else None
    if isinstance(value, str) and value.strip().lower() in NO_EXPIRY:
        return None
    days = f.number(record, "buyback_window_days", minimum=0)
    return None if not days else round(days * 86_400)


def parse_tiers(value: Any) -> list[Tier]:
    """A JSON list of {id?, name, color, lower, upper, weight}, or in CSV either that list as
    JSON text or `Name:#RRGGBB:lower:upper:weight` entries separated by `;`."""
    if f.is_blank(value):
        raise f.FieldError("tiers is required (at least one tier with a positive weight)")
    if isinstance(value, str) and value.strip().startswith("["):
        value = f.json_value({"tiers": value}, "tiers")
    if isinstance(value, str):
        value = [_compact_tier(part) for part in value.split(";") if part.strip()]
    if not isinstance(value, list) or not value:
        raise f.FieldError("tiers must be a non-empty list")
    tiers = [_tier(position, raw) for position, raw in enumerate(value, start=1)]
    _check_tiers(tiers)
    return tiers


def _compact_tier(text: str) -> dict[str, Any]:
    parts = [p.strip() for p in text.split(":")]
    if len(parts) != 5:
        raise f.FieldError(f"tier {text.strip()!r} must be Name:#RRGGBB:lower:upper:weight")
    return dict(zip(("name", "color", "lower", "upper", "weight"), parts, strict=True))


def _tier(position: int, raw: Any) -> Tier:
    if not isinstance(raw, dict):
        raise f.FieldError(f"tier {position} must be an object")
    where = f"tier {position}"
    tier_id = f.integer(raw, "id", minimum=1, maximum=1000, required=False) or position
    name = f.text(raw, "name", max_length=64)
    lower = f.money_cents(raw, "lower")
    upper = f.money_cents(raw, "upper")
    weight = f.number(raw, "weight", minimum=0)
    assert lower is not None and upper is not None and weight is not None and name
    if upper <= lower:
        raise f.FieldError(f"{where}: upper must be greater than lower")
    return Tier(tier_id, name, f.color(raw.get("color"), f"{where} color"), lower, upper, weight)


def _check_tiers(tiers: list[Tier]) -> None:
    if len({t.tier_id for t in tiers}) != len(tiers):
        raise f.FieldError("tier ids must be distinct")
    if not any(t.weight > 0 for t in tiers):
        raise f.FieldError("at least one tier needs a positive weight")
    ordered = sorted(tiers, key=lambda t: t.lower_cents)
    for before, after in itertools.pairwise(ordered):
        if after.lower_cents < before.upper_cents:
            raise f.FieldError(f"tiers {before.name!r} and {after.name!r} overlap")


def pack_record(pack: Any, tiers: list[Tier]) -> dict[str, Any]:
    """An existing pack in the import format (the admin API merges a change into it)."""
    window = pack["buyback_window_seconds"]
    return {
        "id": pack["id"],
        "slug": pack["slug"],
        "platform": pack["platform"],
        "name": pack["name"],
        "description": pack["description"],
        "enable": pack["enable"],
        "mint_price": cents_to_number(pack["mint_price_cents"]),
        "max_per_mint": pack["max_per_mint"],
        "categories": pack["categories"],
        "buyback_percent": pack["buyback_bps"] / BASIS_POINTS,
        "buyback_window_days": "none" if window is None else window / 86_400,
        "claw_image_url": pack["claw_image_url"],
        "tiers": [
            {
                "id": t.tier_id,
                "name": t.name,
                "color": t.color,
                "lower": cents_to_number(t.lower_cents),
                "upper": cents_to_number(t.upper_cents),
                "weight": t.weight,
            }
            for t in tiers
        ],
    }
