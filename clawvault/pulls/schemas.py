"""Request schemas of the pull routes (§3.3, §3.4)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator

from clawvault.core.schemas import RequestBody, ResponseBody
from clawvault.core.validators import (
    USER_ID_MAX,
    USER_ID_PATTERN,
    is_user_id,
    lookup_key,
    user_id_candidate,
)
from clawvault.inventory.schemas import Attribute, Item
from clawvault.pulls.errors import TransactionFailed, UserIdInvalid, UserIdRequired

USER_ID_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": USER_ID_MAX,
    "pattern": USER_ID_PATTERN,
    "description": "The partner's id of its user (docs/identifiers.md)",
}


class BuyInitBody(RequestBody):
    """Checked in the contract's order: the user_id here; the pack and the amount by the pull
    (an unknown pack is refused before a bad amount)."""

    required = ("id", "amount", "user_id")

    user_id: Annotated[str, WithJsonSchema(USER_ID_SCHEMA)] = ""
    id: Annotated[str | None, WithJsonSchema({"type": "string"})] = None
    # A positive integer (or a string of its digits); judged after the pack (VM not found first).
    amount: Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1})] = None

    @field_validator("user_id", mode="before")
    @classmethod
    def user_id_rule(cls, value: Any) -> str:
        user_id = user_id_candidate(value)
        if user_id is None:
            raise UserIdRequired()
        if not is_user_id(user_id):
            raise UserIdInvalid()
        return user_id

    @field_validator("id", mode="before")
    @classmethod
    def pack_key(cls, value: Any) -> str | None:
        return lookup_key(value)  # None: "VM not found"

    def service_body(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "id": self.id, "amount": self.amount}


class BuyStatusBody(RequestBody):
    required = ("session_id",)
    invalid = TransactionFailed

    session_id: Annotated[str | None, WithJsonSchema({"type": "string"})] = None

    @field_validator("session_id", mode="before")
    @classmethod
    def session_key(cls, value: Any) -> str | None:
        return lookup_key(value)  # None: "Transaction failed"

    def service_body(self) -> dict[str, Any]:
        return {"session_id": self.session_id}


class BuyInitAnswer(ResponseBody):
    session_id: str
    nfts: list[Item] = Field(description="The cards pulled, all now in the user's inventory")


class StatusResult(ResponseBody):
    session_id: str
    user_id: str
    public_id: str
    nfts: list[Item]
    tx_hash: str


class Fulfilled(ResponseBody):
    result: StatusResult


class Pending(ResponseBody):
    status: Literal["pending"]


class PullMetadata(ResponseBody):
    name: str
    image: str
    back_image: str | None
    attributes: list[Attribute]


class RecentPull(ResponseBody):
    """A pull of any partner, without partner or user ids."""

    id: str
    claw_id: str
    claw_slug: str | None
    value: float
    buyback_price: float
    created_at: str
    metadata: PullMetadata
