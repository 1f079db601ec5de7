"""Request and answer schemas of the webhook routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator

from clawvault.core.schemas import RequestBody, ResponseBody
from clawvault.webhooks.domain import URL_MAX, BadTarget, EventType, check_url
from clawvault.webhooks.errors import InvalidWebhookUrl

EVENTS_SCHEMA = {"type": "array", "items": {"type": "string", "enum": [t.value for t in EventType]}}


class CreateEndpointBody(RequestBody):
    """`url` first, then `events` (the service's parse of them keeps its own message)."""

    required = ("url",)
    invalid = InvalidWebhookUrl

    url: Annotated[
        str, WithJsonSchema({"type": "string", "format": "uri", "maxLength": URL_MAX})
    ] = ""
    events: Annotated[Any, WithJsonSchema(EVENTS_SCHEMA)] = None

    @field_validator("url", mode="before")
    @classmethod
    def url_rule(cls, value: Any) -> str:
        try:
            return check_url(value)
        except BadTarget as exc:
            raise InvalidWebhookUrl() from exc

    def service_body(self) -> dict[str, Any]:
        return {"url": self.url, "events": self.events}


class Endpoint(ResponseBody):
    id: str
    url: str
    events: list[EventType]
    created_at: str
    secret: str = Field(default="", description="shown only when the endpoint is created")


class Endpoints(ResponseBody):
    endpoints: list[Endpoint]


class Deleted(ResponseBody):
    id: str
    deleted: bool


class Delivery(ResponseBody):
    id: str
    event_id: str
    event_type: str
    endpoint_id: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: str | None = None
    last_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    created_at: str = ""


class Deliveries(ResponseBody):
    deliveries: list[Delivery]
    next_cursor: str | None
