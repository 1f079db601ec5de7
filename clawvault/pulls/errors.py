from __future__ import annotations

from clawvault.core.errors import ApiError
from clawvault.core.validators import USER_ID_RULE


class UserIdRequired(ApiError):
    message = "user_id is required"


class AmountNotPositive(ApiError):
    message = "Amount must be greater than 0"


class AmountTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Amount must be less than or equal to {limit}")


class OutOfStock(ApiError):
    message = "Claw machine is out of stock"


class TransactionError(ApiError):
    status_code = 500
    message = "Error during transaction"


class TransactionFailed(ApiError):
    message = "Transaction failed"


class UserIdInvalid(ApiError):
    message = USER_ID_RULE


class AmountNotInteger(ApiError):
    message = "Amount must be a positive integer"
