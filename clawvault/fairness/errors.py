from __future__ import annotations

from clawvault.core.errors import ApiError


class ReceiptNotFound(ApiError):
    status_code = 404
    message = "Receipt not found"


class InvalidClientSeed(ApiError):
    message = "client_seed must be 1 to 64 printable ASCII characters, without spaces"
