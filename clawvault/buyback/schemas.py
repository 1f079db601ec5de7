"""Request schema of the sellback route (§3.7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator

from clawvault.buyback.errors import ItemNotFound
from clawvault.core.schemas import RequestBody, ResponseBody
from clawvault.core.validators import lookup_key


class BuybackBody(RequestBody):
    required = ("item_id",)
    invalid = ItemNotFound

    item_id: Annotated[str, WithJsonSchema({"type": "string", "minLength": 1})] = ""

    @field_validator("item_id", mode="before")
    @classmethod
    def item_key(cls, value: Any) -> str:
        key = lookup_key(value)
        if key is None:
            raise ItemNotFound()
        return key

    def service_body(self) -> dict[str, Any]:
        return {"item_id": self.item_id}


class BuybackAnswer(ResponseBody):
    success: Literal[True]
    amount: float = Field(description="credited to the partner")
