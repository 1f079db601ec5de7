from __future__ import annotations

from clawvault.core.errors import ApiError


class UserNotFound(ApiError):
    status_code = 404
    message = "User not found"


class CardNotFound(ApiError):
    status_code = 404
    message = "Card not found"
