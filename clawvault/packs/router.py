from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.datastructures import QueryParams
from starlette.responses import Response

from clawvault.core.http import JsonResponse
from clawvault.core.runtime import Runtime
from clawvault.core.validators import path_key
from clawvault.db.unit import Unit
from clawvault.packs import docs, service
from clawvault.packs.errors import PackNotFoundByPath
from clawvault.partners.auth import Caller
from clawvault.variants import PartnerCall, partner_call, variant

router = APIRouter()


@router.get("/vm/available", responses=docs.AVAILABLE)
async def available(
    platform: str = "mainnet", call: PartnerCall = Depends(partner_call)
) -> Response:
    content = await call.serve.packs.available_json(call.runtime, platform)
    return Response(content, media_type=JsonResponse.media_type)


async def available_fast(
    runtime: Runtime, _unit: Unit, caller: Caller, _: str, query: QueryParams
) -> bytes:
    """`available` for core.fastpath."""
    return await variant(caller).packs.available_json(runtime, query.get("platform", "mainnet"))


@router.get("/vm/chase/{slug}", responses=docs.CHASE)
async def chase(slug: str, call: PartnerCall = Depends(partner_call)) -> Response:
    return JsonResponse(
        await service.chase(call.runtime, call.unit, path_key(slug, PackNotFoundByPath))
    )
