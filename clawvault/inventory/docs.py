"""OpenAPI documentation of the inventory and card routes: the answers come from
inventory.schemas; what a model cannot say (the exact error strings) is written here."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, merge, ok
from clawvault.core.schemas import response_schema
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.schemas import Card, Inventory, Item

ITEM: dict[str, Any] = response_schema(Item)
CARD: dict[str, Any] = response_schema(Card)
INVENTORY = merge(
    ok(
        response_schema(Inventory),
        description="The user's items, newest first (a page of them with `limit`)",
    ),
    errors(404, UserNotFound.message),
    errors(400, "Invalid cursor", "limit must be an integer from 1 to 1000"),
)
CARD_LOOKUP = merge(ok(CARD), errors(404, CardNotFound.message))
