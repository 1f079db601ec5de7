from __future__ import annotations

from clawvault.core.errors import ApiError


class InvalidDate(ApiError):
    message = "from and to must be ISO 8601 dates or timestamps (to is exclusive)"
