from __future__ import annotations

from clawvault.core.errors import ApiError


class PackNotFound(ApiError):
    message = "VM not found"


class PackNotFoundByPath(ApiError):
    status_code = 404
    message = "VM not found"
