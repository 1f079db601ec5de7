from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from clawvault.core.http import JsonResponse
from clawvault.core.runtime import Runtime, get_runtime
from clawvault.inventory import docs, service
from clawvault.partners.auth import Caller, get_caller

router = APIRouter()


@router.get("/inventory/{user_id}", responses=docs.INVENTORY)
async def inventory(
    user_id: str,
    limit: str | None = None,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    if limit is None and cursor is None:
        return JsonResponse(await service.inventory(runtime, caller, user_id))
    return JsonResponse(await service.inventory_page(runtime, caller, user_id, limit, cursor))


@router.get("/card/{item_id}", responses=docs.CARD_LOOKUP)
async def card(
    item_id: str, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Response:
    return JsonResponse(await service.card(runtime, item_id, caller))
