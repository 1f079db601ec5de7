"""OpenAPI documentation of the pull routes (§3.2–3.4): the bodies and answers come from
pulls.schemas; the exact error strings, in the contract's order, are written here."""

from __future__ import annotations

from clawvault.core.openapi import IDEMPOTENT_POST, MALFORMED_BODY, errors, merge, ok
from clawvault.core.schemas import list_schema, response_schema
from clawvault.pulls.errors import (
    AmountNotInteger,
    AmountNotPositive,
    OutOfStock,
    TransactionError,
    TransactionFailed,
    UserIdInvalid,
    UserIdRequired,
)
from clawvault.pulls.schemas import BuyInitAnswer, Fulfilled, Pending, RecentPull

BUY_INIT = merge(
    ok(
        response_schema(BuyInitAnswer),
        description="The cards pulled, all now in the user's inventory",
    ),
    errors(
        400,
        UserIdRequired.message,
        UserIdInvalid.message,
        "VM not found",
        AmountNotPositive.message,
        AmountNotInteger.message,
        "Amount must be less than or equal to N",
        OutOfStock.message,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(500, TransactionError.message),
)
BUY_STATUS = merge(
    ok({"oneOf": [response_schema(Fulfilled), response_schema(Pending)]}),
    errors(400, TransactionFailed.message),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
)
RECENT_PULLS = ok(
    list_schema(RecentPull),
    description="The newest pulls of every partner, without partner or user ids",
)
