from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from clawvault.core.errors import unexpected_failures_as
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, get_caller
from clawvault.pulls import docs, service
from clawvault.pulls.errors import TransactionError
from clawvault.pulls.schemas import BuyInitBody, BuyStatusBody
from clawvault.variants import caller_unit, variant

router = APIRouter()


@router.post("/vm/buy/init", responses=docs.BUY_INIT, openapi_extra=BuyInitBody.openapi_body())
async def buy_init(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    with unexpected_failures_as(TransactionError):
        body = BuyInitBody.parse(await raw_json_object_body(request))
        result = await variant(caller).pulls.buy(runtime, unit, caller, body.service_body())
    return JsonResponse(result)


@router.post(
    "/vm/buy/status", responses=docs.BUY_STATUS, openapi_extra=BuyStatusBody.openapi_body()
)
async def buy_status(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = BuyStatusBody.parse(await raw_json_object_body(request))
    pulls = variant(caller).pulls
    return JsonResponse(await pulls.status(runtime, unit, caller, body.service_body()))


@router.get("/vm/recent-pulls", responses=docs.RECENT_PULLS)
async def recent_pulls(
    claw_ids: list[str] | None = Query(default=None),
    limit: str | None = None,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    size = service.parse_limit(limit, runtime.settings.recent_pulls_default_limit)
    pulls = variant(caller).pulls
    return JsonResponse(await pulls.recent_pulls(runtime, unit, caller, claw_ids, size))
