from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, raw_json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.core.validators import path_key, writable_user_id
from clawvault.db.unit import Unit
from clawvault.fairness import docs
from clawvault.fairness.errors import ReceiptNotFound
from clawvault.fairness.schemas import ClientSeedBody
from clawvault.inventory.errors import UserNotFound
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.partners.auth import Caller, get_caller
from clawvault.variants import caller_unit, variant

router = APIRouter()


@router.get("/fairness/users/{user_id}", responses=docs.GET_COMMITMENT)
async def commitment(
    user_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(
        await variant(caller).fairness.commitment(
            runtime, unit, caller, writable_user_id(user_id, UserNotFound)
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
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    user_id = writable_user_id(user_id, UserNotFound)
    body = ClientSeedBody.parse(await raw_json_object_body(request))
    return JsonResponse(
        await variant(caller).fairness.set_client_seed(
            runtime, unit, caller, user_id, body.service_body()
        )
    )


@router.post("/fairness/users/{user_id}/rotate", responses=docs.ROTATE)
async def rotate(
    user_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(
        await variant(caller).fairness.rotate(
            runtime, unit, caller, writable_user_id(user_id, UserNotFound)
        )
    )


@router.get("/fairness/receipts/{session_id}", responses=docs.RECEIPT)
async def receipt(
    session_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(
        await variant(caller).fairness.receipt(
            runtime, unit, caller, path_key(session_id, ReceiptNotFound)
        )
    )


@router.get("/vm/{pack_id}/odds", responses=docs.ODDS)
async def odds(
    pack_id: str,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(caller_unit),
) -> Response:
    return JsonResponse(
        await variant(caller).fairness.published_odds(
            runtime, unit, caller, path_key(pack_id, PackNotFoundByPath)
        )
    )
