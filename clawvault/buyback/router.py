from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.buyback import docs
from clawvault.buyback.schemas import BuybackBody
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.variants import PartnerCall, partner_call

router = APIRouter()


@router.post("/vm/buyback", responses=docs.BUYBACK, openapi_extra=BuybackBody.openapi_body())
async def buyback(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = BuybackBody.parse(await raw_json_object_body(request))
    return JsonResponse(
        await call.serve.buyback.sell_back(
            call.runtime, call.unit, call.caller, body.service_body()
        )
    )
