from __future__ import annotations

from clawvault.core.errors import ApiError


class ReceiptNotFound(ApiError):
    status_code = 404
    message = "Receipt not found"


class NotInSandbox(ApiError):
    # Sandbox pulls are not provably fair draws: no seed of a sandbox user is ever written.
    status_code = 404
    message = "Provably fair seeds are not available in the sandbox"


class InvalidClientSeed(ApiError):
    message = "client_seed must be 1 to 64 printable ASCII characters"
