"""OpenAPI documentation of the provably-fair routes."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, json_body, merge, ok
from clawvault.fairness.errors import InvalidClientSeed, NotInSandbox, ReceiptNotFound

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
SANDBOX = errors(404, NotInSandbox.message)
GET_COMMITMENT = merge(
    ok(COMMITMENT, description="The user's current commitment (made on first use)"), SANDBOX
)
SET_CLIENT_SEED = merge(
    ok(COMMITMENT),
    errors(400, InvalidClientSeed.message),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    SANDBOX,
)
SET_CLIENT_SEED_BODY = json_body(
    {
        "type": "object",
        "required": ["client_seed"],
        "properties": {"client_seed": {"type": "string", "minLength": 1, "maxLength": 64}},
    }
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
    SANDBOX,
)
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
                "cards": {"type": "array", "items": {"type": "object"}},
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
