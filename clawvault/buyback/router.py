from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.buyback import docs
from clawvault.buyback.schemas import BuybackBody
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller, get_caller
from clawvault.variants import caller_unit, variant

router = APIRouter()


@router.post("/vm/buyback", responses=docs.BUYBACK, openapi_extra=BuybackBody.openapi_body())
async def buyback(
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    body = BuybackBody.parse(await raw_json_object_body(request))
    return JsonResponse(
        await variant(caller).buyback.sell_back(runtime, unit, caller, body.service_body())
    )
