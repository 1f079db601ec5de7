"""Request schemas of the shipping routes (§3.8, §3.9)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from clawvault.core.schemas import RequestBody, ResponseBody, without_defaults
from clawvault.core.validators import lookup_key
from clawvault.shipping.address import ADDRESS_FIELD_MAX, ADDRESS_MAX_FIELDS
from clawvault.shipping.errors import ItemIdsRequired, ItemNotFound, QuoteExpired, QuoteIdRequired


class Destination(BaseModel):
    """The address a quote ships to, echoed as sent (the sandbox keeps `zip` as `zip`). Its
    checks (service: shipping.address.check_address) answer "Invalid destination address" with
    details, after the item ids are checked, as the contract orders them."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"maxProperties": ADDRESS_MAX_FIELDS}
    )

    name: str = Field(max_length=ADDRESS_FIELD_MAX)
    line1: str = Field(max_length=ADDRESS_FIELD_MAX)
    line2: str | None = Field(default=None, max_length=ADDRESS_FIELD_MAX)
    city: str = Field(max_length=ADDRESS_FIELD_MAX)
    state: str | None = Field(default=None, max_length=ADDRESS_FIELD_MAX)
    postal_code: str = Field(max_length=ADDRESS_FIELD_MAX)
    country: str = Field(max_length=ADDRESS_FIELD_MAX, description="ISO 3166-1 alpha-2 code")
    phone: str | None = Field(default=None, max_length=ADDRESS_FIELD_MAX)
    email: str | None = Field(default=None, max_length=ADDRESS_FIELD_MAX)


DESTINATION_SCHEMA = without_defaults(Destination.model_json_schema())


class QuoteBody(RequestBody):
    required = ("item_ids", "destination")
    invalid = ItemIdsRequired

    item_ids: Annotated[
        list[str],
        WithJsonSchema(
            {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
        ),
    ] = Field(default_factory=list)
    destination: Annotated[Any, WithJsonSchema(DESTINATION_SCHEMA)] = None

    @field_validator("item_ids", mode="before")
    @classmethod
    def item_keys(cls, value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            raise ItemIdsRequired()
        keys: list[str] = []
        for item_id in value:
            key = lookup_key(item_id)
            if key is None:
                raise ItemNotFound()
            if key not in keys:
                keys.append(key)
        return keys

    def service_body(self) -> dict[str, Any]:
        return {"item_ids": self.item_ids, "destination": self.destination}


class ShipRequestBody(RequestBody):
    required = ("quote_id",)
    invalid = QuoteIdRequired

    quote_id: Annotated[
        str, WithJsonSchema({"type": "string", "pattern": "_rate_", "minLength": 7})
    ] = ""

    @field_validator("quote_id", mode="before")
    @classmethod
    def quote_key(cls, value: Any) -> str:
        if not isinstance(value, str) or "_rate_" not in value:
            raise QuoteIdRequired()
        if lookup_key(value) is None:
            raise QuoteExpired()  # no quote has such an id
        return value

    def service_body(self) -> dict[str, Any]:
        return {"quote_id": self.quote_id}


class Rate(ResponseBody):
    id: str = Field(description="<session_id>_rate_<key>")
    carrier: str
    service: str
    amount: float
    estimated_days_min: int
    estimated_days_max: int
    insured: bool


class QuoteAnswer(ResponseBody):
    session_id: str
    expires_at: str
    quotes: list[Rate]


class InvalidAddressAnswer(ResponseBody):
    error: str
    details: str = ""
    suggested: dict[str, Any] = Field(
        default_factory=dict, description="a corrected address, when one can be offered"
    )


class ShipRequestAnswer(ResponseBody):
    order_id: str
    status: Literal["success"]


class OrderItem(ResponseBody):
    item_id: str
    name: str
    image: str
    back_image: str | None


class Order(ResponseBody):
    order_id: str
    status: Literal[
        "queued", "processing", "label_created", "shipped", "delivered", "cancelled", "failed"
    ]
    carrier: str
    service: str
    tracking_number: str | None
    tracking_url: str | None
    amount: float
    currency: Literal["USD"]
    destination: dict[str, Any] = Field(description="exactly the object sent to the quote")
    items: list[OrderItem]
    created_at: str
    shipped_at: str | None
    delivered_at: str | None
    error_message: str | None
