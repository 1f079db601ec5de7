from __future__ import annotations

from clawvault.core.errors import ApiError


class IdempotencyKeyInvalid(ApiError):
    message = "Idempotency-Key must be 1 to 255 printable ASCII characters"


class IdempotencyKeyReused(ApiError):
    status_code = 409
    message = "Idempotency-Key was already used with a different request body"


class IdempotencyRequestInProgress(ApiError):
    status_code = 409
    message = "A request with this Idempotency-Key is still being processed; retry later"


class IdempotencyAnswerLost(ApiError):
    status_code = 409
    message = (
        "A request with this Idempotency-Key was completed, but its answer could not be stored; "
        "check the result before sending it again with a new key"
    )


class IdempotencyClaimLost(ApiError):
    """The claim passed to a retry while this request was still running: its effects roll
    back, the retry's count."""

    status_code = 409
    message = "A request with this Idempotency-Key is still being processed; retry later"
