"""/demo: the demo catalog's pictures (public, like any image URL a partner shows its users)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from clawvault.core.runtime import Runtime, get_runtime, get_unit
from clawvault.db.unit import Unit
from clawvault.demo import images, service
from clawvault.demo.service import DEMO_PREFIX

__all__ = ["DEMO_PREFIX", "router"]

router = APIRouter(include_in_schema=False)
CACHED = {"Cache-Control": "public, max-age=86400"}


def svg(body: str) -> Response:
    return Response(body, media_type="image/svg+xml", headers=CACHED)


@router.get("/cards/{card_id}/front.svg")
async def card_front(
    card_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return svg(await service.card_picture(runtime, unit, card_id, "front"))


@router.get("/cards/{card_id}/back.svg")
async def card_back(
    card_id: str, runtime: Runtime = Depends(get_runtime), unit: Unit = Depends(get_unit)
) -> Response:
    return svg(await service.card_picture(runtime, unit, card_id, "back"))


@router.get("/claws/{slug}.svg")
async def claw(slug: str) -> Response:
    return svg(images.claw_svg(slug))
