from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from clawvault.core.errors import unexpected_failures_as
from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.pulls import docs, service
from clawvault.pulls.errors import TransactionError
from clawvault.pulls.schemas import BuyInitBody, BuyStatusBody
from clawvault.variants import PartnerCall, partner_call

router = APIRouter()


@router.post("/vm/buy/init", responses=docs.BUY_INIT, openapi_extra=BuyInitBody.openapi_body())
async def buy_init(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    with unexpected_failures_as(TransactionError):
        body = BuyInitBody.parse(await raw_json_object_body(request))
        result = await call.serve.pulls.buy(
            call.runtime, call.unit, call.caller, body.service_body()
        )
    return JsonResponse(result)


@router.post(
    "/vm/buy/status", responses=docs.BUY_STATUS, openapi_extra=BuyStatusBody.openapi_body()
)
async def buy_status(
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    body = BuyStatusBody.parse(await raw_json_object_body(request))
    pulls = call.serve.pulls
    return JsonResponse(
        await pulls.status(call.runtime, call.unit, call.caller, body.service_body())
    )


@router.get("/vm/recent-pulls", responses=docs.RECENT_PULLS)
async def recent_pulls(
    claw_ids: list[str] | None = Query(default=None),
    limit: str | None = None,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    size = service.parse_limit(limit, call.runtime.settings.recent_pulls_default_limit)
    pulls = call.serve.pulls
    return JsonResponse(
        await pulls.recent_pulls(call.runtime, call.unit, call.caller, claw_ids, size)
    )
