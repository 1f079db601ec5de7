from __future__ import annotations

from typing import Any

from clawvault.core.errors import ApiError


class ItemIdsRequired(ApiError):
    message = "item_ids is required"


class InvalidAddress(ApiError):
    message = "Invalid destination address"

    def __init__(self, details: str, suggested: dict[str, Any] | None) -> None:
        extra: dict[str, Any] = {"details": details}
        if suggested is not None:
            extra["suggested"] = suggested
        super().__init__(extra=extra)


class ItemNotFound(ApiError):
    message = "Item not found"


class MixedUsers(ApiError):
    message = "All items must belong to the same user"


class NoShippableItems(ApiError):
    message = "No shippable items in request"


class CountryNotSupported(ApiError):
    status_code = 422
    message = "Country not supported"


class RatesUnavailable(ApiError):
    status_code = 500
    message = "Failed to fetch shipping rates"


class QuoteIdRequired(ApiError):
    message = "quote_id is required"


class QuoteExpired(ApiError):
    message = "Quote expired"


class ItemAlreadyShipped(ApiError):
    message = "Item already shipped"


class ShippingRequestFailed(ApiError):
    status_code = 500
    message = "Failed to create shipping request"


class OrderNotFound(ApiError):
    status_code = 404
    message = "Order not found"


class IllegalOrderMove(ApiError):
    status_code = 409


class InvalidTracking(ApiError):
    message = "Invalid tracking number"


class InvalidOrderRequest(ApiError):
    message = "Invalid order request"
