"""Answer schemas of the pack routes (§2.1, §3.1, §3.11)."""

from __future__ import annotations

from clawvault.core.schemas import ResponseBody


class Tier(ResponseBody):
    id: int
    name: str
    color: str
    lower: float
    upper: float
    weight: float


class Pack(ResponseBody):
    id: str
    slug: str | None
    platform: str
    name: str
    description: str
    enable: bool
    mint_price: float
    max_per_mint: int
    in_stock: bool
    categories: list[str]
    ev: float
    min_ev: float
    max_ev: float
    ev_updated_at: str
    buyback_percent: float
    claw_image_url: str
    rarity_distribution: list[Tier]


class ChaseCard(ResponseBody):
    id: str
    name: str
    image: str
    back_image: str | None
    fmv: float
