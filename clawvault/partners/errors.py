from __future__ import annotations

from clawvault.core.errors import ApiError


class PartnerNotFound(ApiError):
    status_code = 404
    message = "Partner not found"


class PartnerExists(ApiError):
    status_code = 409
    message = "Partner already exists"
