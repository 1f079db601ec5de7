"""Request and answer schemas of the sandbox controls (/_/control). Their refusals are the
controls' own messages (InvalidControl, 400), given by the controls as before (the bodies also
meet core.validators' rule for every string and number); these models write the OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from clawvault.core.schemas import RequestBody, ResponseBody
from clawvault.db.models import OrderStatus
from clawvault.sandbox.controls import SECONDS_PER
from clawvault.sandbox.domain import FORCEABLE_ERRORS

NUMBER_AT_LEAST_0 = WithJsonSchema({"type": "number", "minimum": 0})


class AdvanceClockBody(RequestBody):
    """One or more of the units; the move is their sum (at most 10 years)."""

    model_config = ConfigDict(
        **RequestBody.model_config,
        json_schema_extra={"minProperties": 1, "additionalProperties": False},
    )

    seconds: Annotated[Any, NUMBER_AT_LEAST_0] = None
    minutes: Annotated[Any, NUMBER_AT_LEAST_0] = None
    hours: Annotated[Any, NUMBER_AT_LEAST_0] = None
    days: Annotated[Any, NUMBER_AT_LEAST_0] = None


assert set(AdvanceClockBody.model_fields) == set(SECONDS_PER)


class SetFmvBody(RequestBody):
    required = ("fmv",)

    fmv: Annotated[Any, WithJsonSchema({"type": "number", "minimum": 0, "description": "USD"})] = (
        None
    )


class AdvanceOrderBody(RequestBody):
    required = ("status",)

    status: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": "string",
                "enum": [s.value for s in OrderStatus if s is not OrderStatus.QUEUED],
            }
        ),
    ] = None
    note: Annotated[
        Any,
        WithJsonSchema(
            {"type": "string", "description": "error_message of a cancelled/failed order"}
        ),
    ] = None


class FailNextBody(RequestBody):
    required = ("item_id", "error")

    item_id: Annotated[Any, WithJsonSchema({"type": "string"})] = None
    error: Annotated[Any, WithJsonSchema({"type": "string", "enum": list(FORCEABLE_ERRORS)})] = None


class Clock(ResponseBody):
    now: str = Field(description="this key's sandbox time")
    offset_seconds: float = Field(description="how far ahead of real time")


class Reset(ResponseBody):
    reset: Literal[True]


class NextSellback(ResponseBody):
    status: int
    error: str


class FailNext(ResponseBody):
    item_id: str
    next_sellback: NextSellback
