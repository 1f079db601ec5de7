"""OpenAPI documentation of the sandbox controls (/_/control): bodies and answers from
sandbox.schemas. Their failures are the operator routes' error bodies (mounted with
OPERATOR_ERRORS)."""

from __future__ import annotations

from clawvault.core.openapi import ok
from clawvault.core.schemas import response_schema
from clawvault.inventory.docs import CARD
from clawvault.sandbox.schemas import (
    AdvanceClockBody,
    AdvanceOrderBody,
    Clock,
    FailNext,
    FailNextBody,
    Reset,
    SetFmvBody,
)
from clawvault.shipping.docs import ORDER_SCHEMA

RESET = ok(
    response_schema(Reset),
    description="Every sandbox user, pull, item, quote, order, clock, FMV and forced error of "
    "this key is forgotten",
)
READ_CLOCK = ok(response_schema(Clock))
ADVANCE_CLOCK = ok(response_schema(Clock), description="The clock after the move")
ADVANCE_CLOCK_BODY = AdvanceClockBody.openapi_body()
SET_FMV = ok(CARD, description="The card as this sandbox key now sees it")
SET_FMV_BODY = SetFmvBody.openapi_body()
ADVANCE_ORDER = ok(ORDER_SCHEMA, description="The order after the move")
ADVANCE_ORDER_BODY = AdvanceOrderBody.openapi_body()
FAIL_NEXT = ok(
    response_schema(FailNext), description="What the item's next sellback will answer (once)"
)
FAIL_NEXT_BODY = FailNextBody.openapi_body()
