from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends
from starlette.datastructures import QueryParams
from starlette.responses import Response

from clawvault.core.http import JsonResponse
from clawvault.core.runtime import Runtime
from clawvault.core.validators import path_key, readable_user_id
from clawvault.db.unit import Unit
from clawvault.inventory import docs
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.partners.auth import Caller
from clawvault.variants import PartnerCall, partner_call, variant

router = APIRouter()


@router.get("/inventory/{user_id}", responses=docs.INVENTORY)
async def inventory(
    user_id: str,
    limit: str | None = None,
    cursor: str | None = None,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await _inventory(call.runtime, call.unit, call.caller, user_id, limit, cursor)
    )


async def inventory_fast(
    runtime: Runtime, unit: Unit, caller: Caller, user_id: str, query: QueryParams
) -> bytes:
    """`inventory` for core.fastpath."""
    return orjson.dumps(
        await _inventory(runtime, unit, caller, user_id, query.get("limit"), query.get("cursor"))
    )


async def _inventory(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    user_id: str,
    limit: str | None,
    cursor: str | None,
) -> dict[str, Any]:
    user_id = readable_user_id(user_id, UserNotFound)
    inventories = variant(caller).inventory
    if limit is None and cursor is None:
        return await inventories.inventory(runtime, unit, caller, user_id)
    return await inventories.inventory_page(runtime, unit, caller, user_id, limit, cursor)


@router.get("/card/{item_id}", responses=docs.CARD_LOOKUP)
async def card(
    item_id: str,
    call: PartnerCall = Depends(partner_call),
) -> Response:
    return JsonResponse(
        await call.serve.inventory.card(
            call.runtime, call.unit, call.caller, path_key(item_id, CardNotFound)
        )
    )
