"""Sandbox controls under /_/control (sandbox keys only: the /_/ prefix makes any other key a
401). Each runs in the request's unit of work on the sandbox store (`variants.caller_unit`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, get_caller
from clawvault.sandbox import controls, docs
from clawvault.variants import caller_unit

CONTROL_PREFIX = "/_/control"
router = APIRouter()


@router.post("/reset", responses=docs.RESET)
async def reset(
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(await controls.reset(runtime, unit, caller))


@router.get("/clock", responses=docs.READ_CLOCK)
async def clock(
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(await controls.clock(runtime, unit, caller))


@router.post("/clock/advance", responses=docs.ADVANCE_CLOCK, openapi_extra=docs.ADVANCE_CLOCK_BODY)
async def advance_clock(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.advance_clock(runtime, unit, caller, body))


@router.post("/card/{item_id}/fmv", responses=docs.SET_FMV, openapi_extra=docs.SET_FMV_BODY)
async def set_fmv(
    item_id: str,
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.set_fmv(runtime, unit, caller, item_id, body))


@router.post(
    "/order/{order_id}/advance", responses=docs.ADVANCE_ORDER, openapi_extra=docs.ADVANCE_ORDER_BODY
)
async def advance_order(
    order_id: str,
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.advance_order(runtime, unit, caller, order_id, body))


@router.post("/buyback/fail-next", responses=docs.FAIL_NEXT, openapi_extra=docs.FAIL_NEXT_BODY)
async def fail_next_sellback(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(await controls.force_sellback_error(runtime, unit, caller, body))
