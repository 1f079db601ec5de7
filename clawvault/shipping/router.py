from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.errors import unexpected_failures_as
from clawvault.core.http import JsonResponse, json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.partners.auth import Caller, get_caller
from clawvault.shipping import docs
from clawvault.shipping.errors import RatesUnavailable, ShippingRequestFailed
from clawvault.variants import variant

router = APIRouter()


@router.post("/ship/quote", responses=docs.QUOTE, openapi_extra=docs.QUOTE_BODY)
async def ship_quote(
    request: Request, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    with unexpected_failures_as(RatesUnavailable):
        body = await json_object_body(request)
        result = await variant(caller).shipping.quote(runtime, caller, body)
    return JsonResponse(result)


async def ship_quote_fast(runtime: Runtime, caller: Caller, body: dict[str, Any]) -> bytes:
    """`ship_quote` for core.fastpath."""
    with unexpected_failures_as(RatesUnavailable):
        result = await variant(caller).shipping.quote(runtime, caller, body)
    return orjson.dumps(result)


@router.post("/ship/request", responses=docs.REQUEST, openapi_extra=docs.REQUEST_BODY)
async def ship_request(
    request: Request, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    with unexpected_failures_as(ShippingRequestFailed):
        body = await json_object_body(request)
        result = await variant(caller).shipping.request(runtime, caller, body)
    return JsonResponse(result)


@router.get("/ship/order/{order_id}", responses=docs.ORDER)
async def ship_order(
    order_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await variant(caller).shipping.get_order(runtime, caller, order_id))
