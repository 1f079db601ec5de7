"""Items and cards as the Partner API shows them (§2.2, §2.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.money import cents_to_number
from clawvault.core.timeutil import isoformat
from clawvault.packs.domain import buyback_cents


def card_metadata(card: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "name": card["name"],
        "image": card["image"],
        "back_image": card["back_image"],
        "attributes": card["attributes"],
    }


def item_json(card: RowMapping, *, include_image_link: bool = True) -> dict[str, Any]:
    """card carries the card's columns plus its pack's `claw_slug` and `buyback_bps`."""
    return item_json_with_times(
        card,
        isoformat(card["purchased_at"]),
        isoformat(card["buyback_expires_at"]),
        include_image_link=include_image_link,
    )


def item_json_with_times(
    card: Mapping[Any, Any],
    purchased_at: str | None,
    buyback_expires_at: str | None,
    *,
    include_image_link: bool = True,
) -> dict[str, Any]:
    """item_json with its two times already in their wire form."""
    links: dict[str, Any] = {"back_image": card["back_image"]}
    if include_image_link:
        links = {"image": card["image"], **links}
    return {
        "id": card["id"],
        "claw_id": card["pack_id"],
        "claw_slug": card["claw_slug"],
        "type": card["type"],
        "buyback_price": cents_to_number(buyback_cents(card["fmv_cents"], card["buyback_bps"])),
        "mint_address": card["mint_address"],
        "collection_address": card["collection_address"],
        "token_standard": card["token_standard"],
        "purchased_at": purchased_at,
        "buyback_expires_at": buyback_expires_at,
        "content": {"metadata": card_metadata(card), "links": links},
    }


def card_json(card: RowMapping) -> dict[str, Any]:
    return {
        "id": card["id"],
        "name": card["name"],
        "image": card["image"],
        "back_image": card["back_image"],
        "fmv": cents_to_number(card["fmv_cents"]),
        "metadata": card_metadata(card),
    }
