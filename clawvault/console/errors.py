from __future__ import annotations

from clawvault.core.errors import ApiError


class SignInRequired(Exception):
    """No valid console session: a page redirects to sign-in, an htmx request gets a 401.
    Not an ApiError: the console answers it with HTML, not JSON."""


class ConsoleDisabled(ApiError):
    status_code = 503
    message = "The console is off: set CLAWVAULT_ADMIN_TOKEN to the operator token"


class WrongToken(ApiError):
    status_code = 401
    message = "That is not the operator token"


class CsrfRefused(ApiError):
    status_code = 403
    message = "This form has expired or did not come from the console: reload the page"


class InvalidInput(ApiError):
    message = "Invalid input"
