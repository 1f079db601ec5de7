from __future__ import annotations

from dataclasses import dataclass

from clawvault.core.errors import ApiError


@dataclass(frozen=True)
class RowError:
    """Row 0 is the file itself (its header or shape); row N is the Nth record."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}" if self.row else self.reason


class ImportRejected(ApiError):
    """A file or request with at least one bad row: nothing of it was applied."""

    def __init__(self, errors: list[RowError], what: str = "rows") -> None:
        self.errors = errors
        bad = len({e.row for e in errors if e.row})
        summary = f"{bad} bad {what if bad != 1 else what.rstrip('s')}" if bad else "refused"
        super().__init__(
            f"{summary}: nothing was applied",
            extra={"rows": [{"row": e.row, "reason": e.reason} for e in errors[:1000]]},
        )


class SolvencyRefused(ApiError):
    status_code = 409


class CatalogNotFound(ApiError):
    status_code = 404


class CardNotAvailable(ApiError):
    status_code = 409
