"""OpenAPI documentation of the statement route."""

from __future__ import annotations

from typing import Any

from clawvault.core.openapi import errors, merge
from clawvault.core.schemas import response_schema
from clawvault.ledger.errors import InvalidDate
from clawvault.ledger.schemas import Statement

STATEMENT_SCHEMA: dict[str, Any] = response_schema(Statement)
STATEMENT = merge(
    {
        200: {
            "description": "The statement (JSON), or every entry of the range as CSV with "
            "`Accept: text/csv`",
            "content": {
                "application/json": {"schema": STATEMENT_SCHEMA},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
    errors(400, InvalidDate.message, "Invalid cursor", "limit must be an integer from 1 to 1000"),
)
