"""Answer schemas of the inventory and card routes: the item and card shapes (§2.2, §2.3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from clawvault.core.schemas import ResponseBody


class Attribute(ResponseBody):
    trait_type: str
    value: Any


class Metadata(ResponseBody):
    name: str
    image: str
    back_image: str | None
    attributes: list[Attribute]


class Links(ResponseBody):
    image: str = Field(default="", description="left out of the sandbox's buy/status items")
    back_image: str | None


class Content(ResponseBody):
    metadata: Metadata
    links: Links


class Item(ResponseBody):
    id: str
    claw_id: str
    claw_slug: str | None
    type: Literal["enft", "ebay", "fanatics", "alt", "external"]
    buyback_price: float
    mint_address: str | None
    collection_address: str | None
    token_standard: str | None
    purchased_at: str
    buyback_expires_at: str | None
    content: Content


class Card(ResponseBody):
    id: str
    name: str
    image: str
    back_image: str | None
    fmv: float
    metadata: Metadata


class Inventory(ResponseBody):
    user_id: str
    items: list[Item]
    next_cursor: str | None = Field(
        default=None,
        description="only with `limit` or `cursor`: the next page, null at the end",
    )
