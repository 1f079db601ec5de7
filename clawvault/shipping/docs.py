"""OpenAPI documentation of the shipping routes (§3.8–3.10)."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import (
    IDEMPOTENT_POST,
    MALFORMED_BODY,
    errors,
    merge,
    ok,
)
from clawvault.core.schemas import response_schema
from clawvault.shipping.errors import (
    CountryNotSupported,
    ItemAlreadyShipped,
    ItemIdsRequired,
    ItemNotFound,
    MixedUsers,
    NoShippableItems,
    OrderNotFound,
    QuoteExpired,
    QuoteIdRequired,
    RatesUnavailable,
    ShippingRequestFailed,
)
from clawvault.shipping.schemas import (
    InvalidAddressAnswer,
    Order,
    QuoteAnswer,
    ShipRequestAnswer,
)

ORDER_SCHEMA: dict[str, Any] = response_schema(Order)
INVALID_ADDRESS_SCHEMA: dict[str, Any] = response_schema(InvalidAddressAnswer)
QUOTE = merge(
    ok(response_schema(QuoteAnswer)),
    errors(
        400,
        ItemIdsRequired.message,
        "Invalid destination address",
        ItemNotFound.message,
        NoShippableItems.message,
        MixedUsers.message,
        schema=INVALID_ADDRESS_SCHEMA,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(422, CountryNotSupported.message),
    errors(500, RatesUnavailable.message, "An unexpected error occurred"),
)
REQUEST = merge(
    ok(response_schema(ShipRequestAnswer)),
    errors(
        400,
        QuoteIdRequired.message,
        QuoteExpired.message,
        ItemAlreadyShipped.message,
        ItemNotFound.message,
    ),
    MALFORMED_BODY,
    IDEMPOTENT_POST,
    errors(500, ShippingRequestFailed.message, "An unexpected error occurred"),
)
ORDER = merge(
    ok(ORDER_SCHEMA),
    errors(404, OrderNotFound.message),
)
