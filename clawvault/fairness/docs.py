"""OpenAPI documentation of the provably-fair routes: bodies and answers from
fairness.schemas; the exact error strings here."""

from __future__ import annotations

from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok
from clawvault.core.schemas import response_schema
from clawvault.fairness.errors import InvalidClientSeed, ReceiptNotFound
from clawvault.fairness.schemas import Commitment, Odds, Receipt, Rotated
from clawvault.inventory.errors import UserNotFound

COMMITMENT = response_schema(Commitment)
# A user_id outside the rule (docs/identifiers.md) has no seed and never will.
NO_SUCH_USER = errors(404, UserNotFound.message)
# Sandbox keys (/_/api/v1) get the same answers: seeds of (sandbox key, user), independent of
# production's; receipts of the key's own sandbox pulls.
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
    ok(response_schema(Rotated), description="The revealed seed and the new commitment"),
    IDEMPOTENT_POST,
    NO_SUCH_USER,
)
RECEIPT = merge(ok(response_schema(Receipt)), errors(404, ReceiptNotFound.message))
ODDS = merge(ok(response_schema(Odds)), errors(404, "VM not found"))
