"""The webhook routes of the Partner API. Both environments' endpoints and deliveries live in
the platform's database (by environment), so a sandbox caller's unit is on it too (`get_unit`,
not the sandbox store's `variants.partner_call`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime, get_runtime, get_unit
from clawvault.core.validators import path_key
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, get_caller
from clawvault.webhooks import docs, service
from clawvault.webhooks.errors import DeliveryNotFound, EndpointNotFound
from clawvault.webhooks.schemas import CreateEndpointBody

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhooks/endpoints",
    status_code=201,
    responses=docs.CREATE_ENDPOINT,
    openapi_extra=CreateEndpointBody.openapi_body(),
)
async def create_endpoint(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    body = CreateEndpointBody.parse(await raw_json_object_body(request)).service_body()
    created = await service.create_endpoint(
        runtime, unit, caller.partner_id, caller.environment, body
    )
    return JsonResponse(created, status_code=201)


@router.get("/webhooks/endpoints", responses=docs.LIST_ENDPOINTS)
async def list_endpoints(
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return JsonResponse(await service.list_endpoints(runtime, unit, caller))


@router.delete("/webhooks/endpoints/{endpoint_id}", responses=docs.DELETE_ENDPOINT)
async def delete_endpoint(
    endpoint_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    endpoint = path_key(endpoint_id, EndpointNotFound)
    return JsonResponse(await service.delete_endpoint(runtime, unit, caller, endpoint))


@router.get("/webhooks/deliveries", responses=docs.LIST_DELIVERIES)
async def list_deliveries(
    limit: str | None = None,
    cursor: str | None = None,
    event_id: str | None = None,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return JsonResponse(
        await service.list_deliveries(runtime, unit, caller, limit, cursor, event_id)
    )


@router.post("/webhooks/deliveries/{delivery_id}/replay", responses=docs.REPLAY_DELIVERY)
async def replay_delivery(
    delivery_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    delivery = path_key(delivery_id, DeliveryNotFound)
    return JsonResponse(await service.replay_delivery(runtime, unit, caller, delivery))
