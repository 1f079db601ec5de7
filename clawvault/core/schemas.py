"""The base of every request schema: a pydantic model whose field validators raise the route's
documented ApiError (pydantic lets any exception other than ValueError and AssertionError pass
through unwrapped), checked in the order of the fields, which is the order of the contract's
table. A route reads its JSON body itself (the API key is checked first, and a malformed body
has its own message), then validates it into its schema; the same schema writes the OpenAPI."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from clawvault.core.errors import ApiError


class RequestBody(BaseModel):
    # Unknown members are ignored (never stored); defaults are validated too, so a missing
    # member meets its field's rule and its documented refusal.
    model_config = ConfigDict(extra="ignore", validate_default=True, frozen=True)

    # The refusal of a body no field rule caught (kept for safety: every field has one).
    invalid: ClassVar[type[ApiError]] = ApiError
    # The members the contract requires (documented; a missing one gets its field's refusal).
    required: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise cls.invalid() from exc

    @classmethod
    def openapi_body(cls) -> dict[str, Any]:
        """openapi_extra for the route that reads its body into this schema."""
        schema = without_defaults(inline_refs(cls.model_json_schema(mode="validation")))
        if cls.required:
            schema["required"] = list(cls.required)
        content = {"application/json": {"schema": schema}}
        return {"requestBody": {"required": True, "content": content}}


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its `$defs` written in place (an operation's requestBody cannot refer to
    a model's own definitions)."""
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def without_defaults(node: Any) -> Any:
    """A schema without pydantic's titles and the defaults that stand for "missing" (a missing
    member is refused with its documented message, not filled in)."""
    if isinstance(node, dict):
        return {
            key: without_defaults(value)
            for key, value in node.items()
            if key != "title" and not (key == "default" and value in (None, ""))
        }
    if isinstance(node, list):
        return [without_defaults(value) for value in node]
    return node


class ResponseBody(BaseModel):
    """A documented answer. Handlers keep rendering their dicts (the hot routes answer bytes
    built without a model); these models write the OpenAPI, and schemathesis checks every
    answer against them."""

    model_config = ConfigDict(extra="allow")


def response_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of an answer, for core.openapi.ok."""
    schema: dict[str, Any] = without_defaults(
        inline_refs(model.model_json_schema(mode="serialization"))
    )
    return schema


def list_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "array", "items": response_schema(model)}


class ErrorBody(ResponseBody):
    """Every refusal: `{"error": "<message>"}` (one documented case adds fields: an invalid
    destination address)."""

    error: str
