"""OpenAPI documentation of the provably-fair routes."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok
from clawvault.fairness.errors import InvalidClientSeed, ReceiptNotFound
from clawvault.inventory.errors import UserNotFound

COMMITMENT: dict[str, Any] = {
    "type": "object",
    "required": ["user_id", "algorithm", "server_seed_hash", "client_seed", "next_nonce"],
    "properties": {
        "user_id": {"type": "string"},
        "algorithm": {"type": "string"},
        "server_seed_hash": {"type": "string"},
        "client_seed": {"type": "string"},
        "next_nonce": {"type": "integer"},
    },
}
# Sandbox keys (/_/api/v1) get the same answers: seeds of (sandbox key, user), independent of
# production's; receipts of the key's own sandbox pulls.
# A user_id outside the rule (docs/identifiers.md) has no seed and never will.
NO_SUCH_USER = errors(404, UserNotFound.message)
GET_COMMITMENT = merge(
    ok(COMMITMENT, description="The user's current commitment (made on first use)"), NO_SUCH_USER
)
SET_CLIENT_SEED = merge(
    ok(COMMITMENT),
    errors(400, InvalidClientSeed.message),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    NO_SUCH_USER,
)
ROTATE = merge(
    ok(
        {
            "type": "object",
            "required": ["revealed", "current"],
            "properties": {"revealed": {"type": "object"}, "current": COMMITMENT},
        },
        description="The revealed seed and the new commitment",
    ),
    IDEMPOTENT_POST,
    NO_SUCH_USER,
)
RECEIPT_CARD: dict[str, Any] = {
    "type": "object",
    "required": [
        "position",
        "item_id",
        "server_seed_hash",
        "server_seed",
        "client_seed",
        "nonce",
        "u",
        "tier_id",
        "drawn_key",
        "card_key",
        "wrapped",
        "fmv_cents",
    ],
    "properties": {
        "position": {"type": "integer"},
        "item_id": {"type": "string"},
        "server_seed_hash": {"type": "string"},
        "server_seed": {"type": ["string", "null"]},
        "client_seed": {"type": "string"},
        "nonce": {"type": "integer"},
        "u": {"type": "number"},
        "tier_id": {"type": "integer"},
        "drawn_key": {"type": "string"},
        "card_key": {"type": "string"},
        "wrapped": {"type": "boolean"},
        "fmv_cents": {"type": "integer"},
        # Sandbox cards: the odds table this card's tier was drawn from (the pack's tiers that
        # had a candidate for the key), when it is not the receipt's.
        "odds_canonical": {"type": "string"},
        "odds_hash": {"type": "string"},
    },
}
RECEIPT = merge(
    ok(
        {
            "type": "object",
            "required": ["session_id", "pack_id", "user_id", "algorithm", "odds_hash", "cards"],
            "properties": {
                "session_id": {"type": "string"},
                "pack_id": {"type": "string"},
                "user_id": {"type": "string"},
                "algorithm": {"type": "string"},
                "odds_canonical": {"type": "string"},
                "odds_hash": {"type": "string"},
                "created_at": {"type": "string"},
                "cards": {"type": "array", "items": RECEIPT_CARD},
            },
        }
    ),
    errors(404, ReceiptNotFound.message),
)
ODDS = merge(
    ok(
        {
            "type": "object",
            "required": ["pack_id", "algorithm", "odds_hash", "tiers"],
            "properties": {
                "pack_id": {"type": "string"},
                "algorithm": {"type": "string"},
                "odds_hash": {"type": "string"},
                "odds_canonical": {"type": "string"},
                "as_of": {"type": "string"},
                "tiers": {"type": "array", "items": {"type": "object"}},
            },
        }
    ),
    errors(404, "VM not found"),
)
