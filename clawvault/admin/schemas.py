"""Request and answer schemas of the admin API (/admin/v1). The catalog bodies (packs, tiers,
cards, prices) are validated row by row by the catalog's parsers, which report every bad row
at once (README: File formats); the other bodies by the admin service, with the operator
routes' messages. These models write the OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from clawvault.core.schemas import RequestBody, ResponseBody
from clawvault.packs.schemas import Tier
from clawvault.webhooks.schemas import EVENTS_SCHEMA, Endpoint

Environment = Literal["production", "sandbox"]
ORDER_TARGETS = ["processing", "label_created", "shipped", "delivered", "cancelled", "failed"]


class RowRejected(ResponseBody):
    row: int
    reason: str


class RowsRejected(ResponseBody):
    error: str
    rows: list[RowRejected] = Field(default_factory=list)


class Pack(ResponseBody):
    id: str
    slug: str
    name: str
    enable: bool
    mint_price: float
    max_per_mint: int
    buyback_percent: float
    tiers: list[Tier]
    ev: float
    min_ev: float
    max_ev: float
    platform: str = ""
    description: str | None = None
    categories: list[str] = Field(default_factory=list)
    buyback_window_days: float | None = None
    claw_image_url: str | None = None
    ev_updated_at: str | None = None


class ImportReport(ResponseBody):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    warnings: list[str]


class PriceReport(ResponseBody):
    source: str
    received: int
    applied: int
    unknown_cards: int
    rejected: list[str]
    packs_refreshed: int
    warnings: list[str]


class MovedCard(ResponseBody):
    id: str
    pack_id: str
    from_pack_id: str


class RetiredCard(ResponseBody):
    id: str
    status: Literal["retired"]


class StaleCard(ResponseBody):
    card_id: str
    pack_id: str
    status: str
    fmv: float
    source: str
    as_of: str


class StalePrices(ResponseBody):
    max_age_hours: float | None
    cards: list[StaleCard]


class PriceRecord(ResponseBody):
    fmv: float
    source: str
    as_of: str
    recorded_at: str


class PriceHistory(ResponseBody):
    card_id: str
    fmv: float
    source: str
    as_of: str
    stale: bool
    history: list[PriceRecord]


class Partner(ResponseBody):
    id: int
    name: str


class PartnerRow(ResponseBody):
    id: int
    name: str
    created_at: str
    active_keys: int


class Key(ResponseBody):
    id: int
    prefix: str
    environment: Environment
    created_at: str
    revoked_at: str | None


class NewKey(ResponseBody):
    partner: str
    environment: Environment
    key: str


class RevokedKey(ResponseBody):
    id: int
    revoked_at: str


class AdminEndpoint(Endpoint):
    environment: Environment = "production"


class AdminEndpoints(ResponseBody):
    endpoints: list[AdminEndpoint]


class DeletedEndpoint(ResponseBody):
    id: str
    deleted: Literal[True]


# A catalog batch: its rows are checked by the catalog's parsers (README: File formats).
ROWS_SCHEMA: dict[str, Any] = {
    "description": "one object, a list of objects, or {kind: [objects]} (README: File formats)",
    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
}
SANDBOX_FLAG = WithJsonSchema({"type": "boolean", "default": False})


class CreatePartnerBody(RequestBody):
    required = ("name",)
    name: Annotated[Any, WithJsonSchema({"type": "string", "maxLength": 200})] = None


class CreateKeyBody(RequestBody):
    sandbox: Annotated[Any, SANDBOX_FLAG] = None


class CreateEndpointBody(RequestBody):
    required = ("url",)
    url: Annotated[Any, WithJsonSchema({"type": "string", "format": "uri"})] = None
    events: Annotated[Any, WithJsonSchema(EVENTS_SCHEMA)] = None
    sandbox: Annotated[Any, SANDBOX_FLAG] = None


class MoveCardBody(RequestBody):
    required = ("pack_id",)
    pack_id: Annotated[Any, WithJsonSchema({"type": "string", "description": "id or slug"})] = None


class AdvanceOrderBody(RequestBody):
    required = ("to",)
    to: Annotated[Any, WithJsonSchema({"type": "string", "enum": ORDER_TARGETS})] = None
    note: Annotated[Any, WithJsonSchema({"type": ["string", "null"], "maxLength": 500})] = None


class AttachTrackingBody(RequestBody):
    required = ("carrier", "tracking_number")
    carrier: Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 32})] = (
        None
    )
    tracking_number: Annotated[
        Any, WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9 -]{4,64}$"})
    ] = None
