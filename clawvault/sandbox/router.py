"""Sandbox controls under /_/control (sandbox keys only: the /_/ prefix makes any other key a
401). Each runs in the request's unit of work on the sandbox store (`variants.partner_call`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, json_object_body
from clawvault.sandbox import controls, docs
from clawvault.variants import PartnerCall, partner_call

CONTROL_PREFIX = "/_/control"
router = APIRouter()


@router.post("/reset", responses=docs.RESET)
async def reset(
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(await controls.reset(call.runtime, call.unit, call.caller))


@router.get("/clock", responses=docs.READ_CLOCK)
async def clock(
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(await controls.clock(call.runtime, call.unit, call.caller))


@router.post("/clock/advance", responses=docs.ADVANCE_CLOCK, openapi_extra=docs.ADVANCE_CLOCK_BODY)
async def advance_clock(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.advance_clock(call.runtime, call.unit, call.caller, body))


@router.post("/card/{item_id}/fmv", responses=docs.SET_FMV, openapi_extra=docs.SET_FMV_BODY)
async def set_fmv(
    item_id: str,
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.set_fmv(call.runtime, call.unit, call.caller, item_id, body))


@router.post(
    "/order/{order_id}/advance", responses=docs.ADVANCE_ORDER, openapi_extra=docs.ADVANCE_ORDER_BODY
)
async def advance_order(
    order_id: str,
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(
        await controls.advance_order(call.runtime, call.unit, call.caller, order_id, body)
    )


@router.post("/buyback/fail-next", responses=docs.FAIL_NEXT, openapi_extra=docs.FAIL_NEXT_BODY)
async def fail_next_sellback(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(
        await controls.force_sellback_error(call.runtime, call.unit, call.caller, body)
    )
