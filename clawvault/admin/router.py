"""/admin/v1: the operator's API (packs, cards, prices, partners and keys)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.admin import docs, service
from clawvault.admin.auth import require_operator
from clawvault.catalog import cards_service, packs_service
from clawvault.catalog.errors import CatalogNotFound
from clawvault.catalog.prices_service import validate_prices
from clawvault.core.errors import InvalidJsonBody
from clawvault.core.http import JsonResponse, json_object_body
from clawvault.core.runtime import Runtime, get_runtime, get_unit
from clawvault.db.unit import Unit
from clawvault.partners.auth import forget_cached_keys
from clawvault.pricing import service as pricing
from clawvault.webhooks import service as webhooks

router = APIRouter(dependencies=[Depends(require_operator)])
ADMIN_PRICE_SOURCE = "admin"


async def json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body() or b"null")
    except orjson.JSONDecodeError as exc:
        raise InvalidJsonBody(f"Malformed JSON body: {exc.args[0]}") from exc


def clamp(limit: int, maximum: int = 1000) -> int:
    return max(1, min(maximum, limit))


@router.get("/packs", responses=docs.LIST_PACKS)
async def list_packs(
    runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await packs_service.list_pack_records(runtime, unit))


@router.post("/packs", responses=docs.CREATE_PACKS, openapi_extra=docs.ROWS_BODY)
async def create_packs(
    request: Request, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    records = service.body_records(await json_body(request), "packs")
    report = await packs_service.import_packs(runtime, unit, records)
    return JsonResponse(report.as_json())


@router.get("/packs/{pack_id}", responses=docs.GET_PACK)
async def get_pack(
    pack_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await packs_service.get_pack_record(runtime, unit, pack_id))


@router.patch("/packs/{pack_id}", responses=docs.GET_PACK, openapi_extra=docs.PATCH_PACK_BODY)
async def update_pack(
    pack_id: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    changes = await json_object_body(request)
    await packs_service.change_pack(runtime, unit, pack_id, changes)
    return JsonResponse(await packs_service.get_pack_record(runtime, unit, pack_id))


@router.put("/packs/{pack_id}/tiers", responses=docs.GET_PACK, openapi_extra=docs.PUT_TIERS_BODY)
async def put_tiers(
    pack_id: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_body(request)
    tiers = body.get("tiers") if isinstance(body, dict) else body
    await packs_service.set_tiers(runtime, unit, pack_id, tiers)
    return JsonResponse(await packs_service.get_pack_record(runtime, unit, pack_id))


@router.post("/packs/{pack_id}/enable", responses=docs.GET_PACK)
async def enable_pack(
    pack_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    await packs_service.set_enabled(runtime, unit, pack_id, True)
    return JsonResponse(await packs_service.get_pack_record(runtime, unit, pack_id))


@router.post("/packs/{pack_id}/disable", responses=docs.GET_PACK)
async def disable_pack(
    pack_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    await packs_service.set_enabled(runtime, unit, pack_id, False)
    return JsonResponse(await packs_service.get_pack_record(runtime, unit, pack_id))


@router.post("/cards", responses=docs.ADD_CARDS, openapi_extra=docs.ROWS_BODY)
async def add_cards(
    request: Request, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    records = service.body_records(await json_body(request), "cards")
    report = await cards_service.import_cards(runtime, unit, records)
    return JsonResponse(report.as_json())


@router.post("/cards/{card_id}/move", responses=docs.MOVE_CARD, openapi_extra=docs.MOVE_CARD_BODY)
async def move_card(
    card_id: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_object_body(request)
    pack_ref = body.get("pack_id")
    if not isinstance(pack_ref, str) or not pack_ref:
        raise CatalogNotFound("Pack not found")
    return JsonResponse(await cards_service.move_card(runtime, unit, card_id, pack_ref))


@router.post("/cards/{card_id}/retire", responses=docs.RETIRE_CARD)
async def retire_card(
    card_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await cards_service.retire_card(runtime, unit, card_id))


@router.post("/prices", responses=docs.PUSH_PRICES, openapi_extra=docs.ROWS_BODY)
async def push_prices(
    request: Request, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    records = service.body_records(await json_body(request), "prices")
    quotes = await validate_prices(runtime, unit, records, ADMIN_PRICE_SOURCE)
    report = await pricing.apply_quotes(runtime, unit, quotes, ADMIN_PRICE_SOURCE)
    return JsonResponse(report.as_json())


@router.get("/prices/stale", responses=docs.STALE_PRICES)
async def stale_prices(
    limit: int = 100, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await pricing.stale_prices(runtime, unit, clamp(limit)))


@router.get("/prices/{card_id}", responses=docs.PRICE_HISTORY)
async def price_history(
    card_id: str,
    limit: int = 50,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    history = await pricing.price_history(runtime, unit, card_id, clamp(limit))
    if history is None:
        raise CatalogNotFound("Card not found")
    return JsonResponse(history)


@router.get("/partners", responses=docs.LIST_PARTNERS)
async def list_partners(
    runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await service.list_partners(runtime, unit))


@router.post("/partners", responses=docs.CREATE_PARTNER, openapi_extra=docs.CREATE_PARTNER_BODY)
async def create_partner(
    request: Request, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    body = await json_object_body(request)
    created = await service.create_partner(runtime, unit, body.get("name"))
    return JsonResponse(created, status_code=201)


@router.get("/partners/{name}/keys", responses=docs.LIST_KEYS)
async def list_keys(
    name: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await service.list_keys(runtime, unit, name))


@router.post("/partners/{name}/keys", responses=docs.CREATE_KEY, openapi_extra=docs.CREATE_KEY_BODY)
async def create_key(
    name: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_object_body(request)
    key = await service.create_key(runtime, unit, name, body.get("sandbox", False))
    return JsonResponse(key, status_code=201)


@router.post("/keys/{key_id}/revoke", responses=docs.REVOKE_KEY)
async def revoke_key(
    key_id: int,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    revoked = await service.revoke_key(runtime, unit, key_id)
    forget_cached_keys(request.app)
    return JsonResponse(revoked)


@router.get("/partners/{name}/webhooks/endpoints", responses=docs.LIST_ENDPOINTS)
async def list_webhook_endpoints(
    name: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return JsonResponse(await webhooks.list_endpoints_for(runtime, unit, name))


@router.post(
    "/partners/{name}/webhooks/endpoints",
    responses=docs.CREATE_ENDPOINT,
    openapi_extra=docs.CREATE_ENDPOINT_BODY,
)
async def create_webhook_endpoint(
    name: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_object_body(request)
    environment = webhooks.environment_of(body.get("sandbox", False))
    created = await webhooks.create_endpoint_for(
        runtime, unit, name, environment, body.get("url"), body.get("events")
    )
    return JsonResponse(created, status_code=201)


@router.delete("/partners/{name}/webhooks/endpoints/{endpoint_id}", responses=docs.DELETE_ENDPOINT)
async def delete_webhook_endpoint(
    name: str,
    endpoint_id: str,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return JsonResponse(await webhooks.delete_endpoint_for(runtime, unit, name, endpoint_id))


@router.post(
    "/orders/{order_id}/advance",
    responses=docs.ADVANCE_ORDER,
    openapi_extra=docs.ADVANCE_ORDER_BODY,
)
async def advance_order(
    order_id: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await service.advance_order(runtime, unit, order_id, body))


@router.post(
    "/orders/{order_id}/tracking",
    responses=docs.ATTACH_TRACKING,
    openapi_extra=docs.ATTACH_TRACKING_BODY,
)
async def attach_tracking(
    order_id: str,
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await service.attach_tracking(runtime, unit, order_id, body))
