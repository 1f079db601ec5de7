"""OpenAPI documentation of the admin API (/admin/v1): answers and request bodies from
admin.schemas. Failures are the operator routes' error bodies (mounted with OPERATOR_ERRORS); an
import or price batch with bad rows answers 400 with every bad row and applies nothing."""

from __future__ import annotations

from typing import Any

from clawvault.admin.schemas import (
    ROWS_SCHEMA,
    AdminEndpoint,
    AdminEndpoints,
    AdvanceOrderBody,
    AttachTrackingBody,
    CreateEndpointBody,
    CreateKeyBody,
    CreatePartnerBody,
    DeletedEndpoint,
    ImportReport,
    Key,
    MoveCardBody,
    MovedCard,
    NewKey,
    Pack,
    PartnerRow,
    PriceHistory,
    PriceReport,
    RetiredCard,
    RevokedKey,
    RowsRejected,
    StalePrices,
)
from clawvault.admin.schemas import Partner as PartnerAnswer
from clawvault.core.openapi import errors, json_body, merge, ok
from clawvault.core.schemas import list_schema, response_schema
from clawvault.shipping.docs import ORDER_SCHEMA

ROWS_REJECTED = errors(400, "1 bad row: nothing was applied", schema=response_schema(RowsRejected))
ROWS_BODY = json_body(ROWS_SCHEMA)

LIST_PACKS = ok(list_schema(Pack))
CREATE_PACKS = merge(
    ok(response_schema(ImportReport), description="What the batch created and updated"),
    ROWS_REJECTED,
)
GET_PACK = ok(response_schema(Pack))
PATCH_PACK_BODY = json_body(
    {
        "type": "object",
        "description": "any pack fields of the pack file format (README: File formats)",
    }
)
PUT_TIERS_BODY = json_body(
    {
        "description": 'the tiers, as a list or {"tiers": [...]}',
        "oneOf": [
            {"type": "array", "items": {"type": "object"}},
            {"type": "object", "required": ["tiers"]},
        ],
    }
)
ADD_CARDS = CREATE_PACKS
MOVE_CARD = ok(response_schema(MovedCard))
MOVE_CARD_BODY = MoveCardBody.openapi_body()
RETIRE_CARD = ok(response_schema(RetiredCard))
PUSH_PRICES = merge(ok(response_schema(PriceReport)), ROWS_REJECTED)
STALE_PRICES = ok(response_schema(StalePrices))
PRICE_HISTORY = ok(response_schema(PriceHistory))
LIST_PARTNERS = ok(list_schema(PartnerRow))
CREATE_PARTNER = ok(response_schema(PartnerAnswer), 201)
CREATE_PARTNER_BODY = CreatePartnerBody.openapi_body()
LIST_KEYS = ok(list_schema(Key))
CREATE_KEY = ok(
    response_schema(NewKey), 201, "The new key in plain text: the only time it is shown"
)
CREATE_KEY_BODY: dict[str, Any] = CreateKeyBody.openapi_body()
REVOKE_KEY = ok(response_schema(RevokedKey))
LIST_ENDPOINTS = ok(response_schema(AdminEndpoints))
CREATE_ENDPOINT = ok(
    response_schema(AdminEndpoint), 201, "The endpoint, with its signing secret (shown once)"
)
CREATE_ENDPOINT_BODY = CreateEndpointBody.openapi_body()
DELETE_ENDPOINT = ok(response_schema(DeletedEndpoint))
ADVANCE_ORDER = ok(ORDER_SCHEMA, description="The order as GET /api/v1/ship/order shows it")
ADVANCE_ORDER_BODY = AdvanceOrderBody.openapi_body()
ATTACH_TRACKING = ADVANCE_ORDER
ATTACH_TRACKING_BODY = AttachTrackingBody.openapi_body()
