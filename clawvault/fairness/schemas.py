"""Request schema of the provably-fair routes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import WithJsonSchema, field_validator

from clawvault.core.schemas import RequestBody, ResponseBody
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


class Commitment(ResponseBody):
    user_id: str
    algorithm: str
    server_seed_hash: str
    client_seed: str
    next_nonce: int


class Rotated(ResponseBody):
    revealed: dict[str, Any]
    current: Commitment


class ReceiptCard(ResponseBody):
    position: int
    item_id: str
    server_seed_hash: str
    server_seed: str | None
    client_seed: str
    nonce: int
    u: float
    tier_id: int
    drawn_key: str
    card_key: str
    wrapped: bool
    fmv_cents: int
    # Sandbox cards: the odds table this card's tier was drawn from (the pack's tiers that had
    # a candidate for the key), when it is not the receipt's.
    odds_canonical: str = ""
    odds_hash: str = ""


class Receipt(ResponseBody):
    session_id: str
    pack_id: str
    user_id: str
    algorithm: str
    odds_canonical: str = ""
    odds_hash: str
    created_at: str = ""
    cards: list[ReceiptCard]


class Odds(ResponseBody):
    pack_id: str
    algorithm: str
    odds_hash: str
    odds_canonical: str = ""
    as_of: str = ""
    tiers: list[dict[str, Any]]
