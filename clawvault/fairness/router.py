from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clawvault.core.http import JsonResponse, json_object_body
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.fairness import docs
from clawvault.partners.auth import Caller, get_caller
from clawvault.variants import variant

router = APIRouter()


@router.get("/fairness/users/{user_id}", responses=docs.GET_COMMITMENT)
async def commitment(
    user_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await variant(caller).fairness.commitment(runtime, caller, user_id))


@router.post(
    "/fairness/users/{user_id}/client-seed",
    responses=docs.SET_CLIENT_SEED,
    openapi_extra=docs.SET_CLIENT_SEED_BODY,
)
async def client_seed(
    user_id: str,
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    body = await json_object_body(request)
    return JsonResponse(
        await variant(caller).fairness.set_client_seed(runtime, caller, user_id, body)
    )


@router.post("/fairness/users/{user_id}/rotate", responses=docs.ROTATE)
async def rotate(
    user_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await variant(caller).fairness.rotate(runtime, caller, user_id))


@router.get("/fairness/receipts/{session_id}", responses=docs.RECEIPT)
async def receipt(
    session_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await variant(caller).fairness.receipt(runtime, caller, session_id))


@router.get("/vm/{pack_id}/odds", responses=docs.ODDS)
async def odds(
    pack_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await variant(caller).fairness.published_odds(runtime, caller, pack_id))
