"""Request schema of the provably-fair routes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema, field_validator

from clawvault.core.schemas import RequestBody
from clawvault.fairness.domain import CLIENT_SEED_PATTERN, valid_client_seed
from clawvault.fairness.errors import InvalidClientSeed


class ClientSeedBody(RequestBody):
    required = ("client_seed",)
    invalid = InvalidClientSeed

    client_seed: Annotated[
        str,
        WithJsonSchema(
            {"type": "string", "minLength": 1, "maxLength": 64, "pattern": CLIENT_SEED_PATTERN}
        ),
    ] = ""

    @field_validator("client_seed", mode="before")
    @classmethod
    def seed_rule(cls, value: Any) -> str:
        return valid_client_seed(value)

    def service_body(self) -> dict[str, Any]:
        return {"client_seed": self.client_seed}
