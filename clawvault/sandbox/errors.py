from __future__ import annotations

from clawvault.core.errors import ApiError


class SandboxStateUnavailable(ApiError):
    status_code = 500
    message = "Sandbox is not available"


class InvalidControl(ApiError):
    """A sandbox control called with input it cannot use; the message says what is wrong."""


class IllegalSandboxOrderMove(ApiError):
    status_code = 409


class SandboxShippingRequestFailed(ApiError):
    # Sandbox ship/request errors are always 4xx (documented).
    message = "Failed to create shipping request"
