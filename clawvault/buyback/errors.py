from __future__ import annotations

from clawvault.core.errors import ApiError


class ItemNotFound(ApiError):
    message = "Item not found"


class ItemExpired(ApiError):
    message = "Item has expired"


class SettlementFailed(ApiError):
    message = "Transaction failed"


class ActiveBuybackSession(ApiError):
    message = "Item already has an active buyback session"


class BuybackInProgress(ApiError):
    status_code = 429
    message = "A buyback request for this item is already being processed"
