"""Sandbox holdings in the production shapes: a holding joined to its catalog card, fed to
production's presenters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.money import cents_to_number
from clawvault.core.timeutil import isoformat
from clawvault.inventory.presenters import card_metadata, item_json
from clawvault.sandbox.domain import recent_pull_value_cents, shown_mint_address


def holding_view(holding: Mapping[Any, Any], card: Mapping[Any, Any]) -> dict[str, Any]:
    """The columns production's item_json reads; the FMV and buyback terms are the ones frozen
    at the pull, so buyback_price is what a sellback pays."""
    return {
        **card,
        "mint_address": shown_mint_address(card["type"], card["mint_address"]),
        "fmv_cents": holding["fmv_cents"],
        "buyback_bps": holding["buyback_bps"],
        "purchased_at": holding["purchased_at"],
        "buyback_expires_at": holding["buyback_expires_at"],
    }


def items_json(
    holdings: Sequence[Mapping[Any, Any]],
    cards: Mapping[str, RowMapping],
    *,
    include_image_link: bool = True,
) -> list[dict[str, Any]]:
    return [
        item_json(holding_view(h, cards[h["card_id"]]), include_image_link=include_image_link)  # type: ignore[arg-type]
        for h in holdings
        if h["card_id"] in cards
    ]


def recent_pull_json(holding: Mapping[Any, Any], card: RowMapping) -> dict[str, Any]:
    return {
        "id": holding["card_id"],
        "claw_id": holding["pack_id"],
        "claw_slug": card["claw_slug"],
        "value": cents_to_number(recent_pull_value_cents(holding["buyback_price_cents"])),
        "buyback_price": cents_to_number(holding["buyback_price_cents"]),
        "created_at": isoformat(holding["purchased_at"]),
        "metadata": card_metadata(card),
    }
