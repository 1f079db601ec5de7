from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.errors import unexpected_failures_as
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.core.validators import path_key
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, get_caller
from clawvault.shipping import docs
from clawvault.shipping.errors import OrderNotFound, RatesUnavailable, ShippingRequestFailed
from clawvault.shipping.schemas import QuoteBody, ShipRequestBody
from clawvault.variants import caller_unit, variant

router = APIRouter()


@router.post("/ship/quote", responses=docs.QUOTE, openapi_extra=QuoteBody.openapi_body())
async def ship_quote(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    with unexpected_failures_as(RatesUnavailable):
        body = QuoteBody.parse(await raw_json_object_body(request))
        result = await variant(caller).shipping.quote(runtime, unit, caller, body.service_body())
    return JsonResponse(result)


async def ship_quote_fast(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> bytes:
    """`ship_quote` for core.fastpath."""
    with unexpected_failures_as(RatesUnavailable):
        result = await variant(caller).shipping.quote(
            runtime, unit, caller, QuoteBody.parse(body).service_body()
        )
    return orjson.dumps(result)


@router.post("/ship/request", responses=docs.REQUEST, openapi_extra=ShipRequestBody.openapi_body())
async def ship_request(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    with unexpected_failures_as(ShippingRequestFailed):
        body = ShipRequestBody.parse(await raw_json_object_body(request))
        result = await variant(caller).shipping.request(runtime, unit, caller, body.service_body())
    return JsonResponse(result)


@router.get("/ship/order/{order_id}", responses=docs.ORDER)
async def ship_order(
    order_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(
        await variant(caller).shipping.get_order(
            runtime, unit, caller, path_key(order_id, OrderNotFound)
        )
    )
