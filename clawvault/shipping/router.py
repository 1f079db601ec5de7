from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.errors import unexpected_failures_as
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime
from clawvault.core.validators import path_key
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.shipping import docs
from clawvault.shipping.errors import OrderNotFound, RatesUnavailable, ShippingRequestFailed
from clawvault.shipping.schemas import QuoteBody, ShipRequestBody
from clawvault.variants import PartnerCall, partner_call, variant

router = APIRouter()


@router.post("/ship/quote", responses=docs.QUOTE, openapi_extra=QuoteBody.openapi_body())
async def ship_quote(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    with unexpected_failures_as(RatesUnavailable):
        body = QuoteBody.parse(await raw_json_object_body(request))
        result = await call.serve.shipping.quote(
            call.runtime, call.unit, call.caller, body.service_body()
        )
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
    call: PartnerCall = Depends(partner_call),
) -> Response:
    with unexpected_failures_as(ShippingRequestFailed):
        body = ShipRequestBody.parse(await raw_json_object_body(request))
        result = await call.serve.shipping.request(
            call.runtime, call.unit, call.caller, body.service_body()
        )
    return JsonResponse(result)


@router.get("/ship/order/{order_id}", responses=docs.ORDER)
async def ship_order(
    order_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.shipping.get_order(
            call.runtime, call.unit, call.caller, path_key(order_id, OrderNotFound)
        )
    )
