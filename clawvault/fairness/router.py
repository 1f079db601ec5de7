from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.validators import path_key, writable_user_id
from clawvault.fairness import docs
from clawvault.fairness.errors import ReceiptNotFound
from clawvault.fairness.schemas import ClientSeedBody
from clawvault.inventory.errors import UserNotFound
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.variants import PartnerCall, partner_call

router = APIRouter()


@router.get("/fairness/users/{user_id}", responses=docs.GET_COMMITMENT)
async def commitment(
    user_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.fairness.commitment(
            call.runtime, call.unit, call.caller, writable_user_id(user_id, UserNotFound)
        )
    )


@router.post(
    "/fairness/users/{user_id}/client-seed",
    responses=docs.SET_CLIENT_SEED,
    openapi_extra=ClientSeedBody.openapi_body(),
)
async def client_seed(
    user_id: str,
    request: Request,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    user_id = writable_user_id(user_id, UserNotFound)
    body = ClientSeedBody.parse(await raw_json_object_body(request))
    return JsonResponse(
        await call.serve.fairness.set_client_seed(
            call.runtime, call.unit, call.caller, user_id, body.service_body()
        )
    )


@router.post("/fairness/users/{user_id}/rotate", responses=docs.ROTATE)
async def rotate(
    user_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.fairness.rotate(
            call.runtime, call.unit, call.caller, writable_user_id(user_id, UserNotFound)
        )
    )


@router.get("/fairness/receipts/{session_id}", responses=docs.RECEIPT)
async def receipt(
    session_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.fairness.receipt(
            call.runtime, call.unit, call.caller, path_key(session_id, ReceiptNotFound)
        )
    )


@router.get("/vm/{pack_id}/odds", responses=docs.ODDS)
async def odds(
    pack_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.fairness.published_odds(
            call.runtime, call.unit, call.caller, path_key(pack_id, PackNotFoundByPath)
        )
    )
