"""/console: the operator's pages (HTML) and the htmx fragments and actions behind them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import RedirectResponse, Response

from clawvault.console import service
from clawvault.console.auth import (
    COOKIE,
    SESSION_SECONDS,
    Session,
    check_token,
    form_data,
    new_cookie,
    require_form,
    require_session,
)
from clawvault.console.domain import page_number
from clawvault.console.views import PREFIX, flash, render, static_files
from clawvault.console.views import ConsoleRoute as Route
from clawvault.core.errors import ApiError
from clawvault.core.runtime import Runtime, get_runtime, get_unit
from clawvault.db.unit import Unit
from clawvault.partners.auth import forget_cached_keys

router = APIRouter(route_class=Route, include_in_schema=False)
Form = dict[str, str]


def install(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.mount(f"{PREFIX}/static", static_files, name="console-static")


def _safe_next(value: str | None) -> str:
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return f"{PREFIX}/packs"


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse(f"{PREFIX}/packs", status_code=303)


@router.get("/signin")
async def signin_page(
    request: Request, next: str | None = None, runtime: Runtime = Depends(get_runtime)
) -> Response:
    enabled = bool(runtime.settings.admin_token)
    return render(request, "signin.html", next=_safe_next(next), enabled=enabled)


@router.post("/signin")
async def signin(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    form = await form_data(request)
    try:
        check_token(runtime, form.get("token", "").strip())
    except ApiError as error:
        return render(
            request,
            "signin.html",
            error.status_code,
            next=_safe_next(form.get("next")),
            enabled=bool(runtime.settings.admin_token),
            error=error.message,
        )
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        COOKIE,
        new_cookie(runtime),
        max_age=SESSION_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout")
async def signout(_form: Form = Depends(require_form)) -> Response:
    response = RedirectResponse(f"{PREFIX}/signin", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    response.headers["HX-Redirect"] = f"{PREFIX}/signin"
    return response


# Packs


@router.get("/packs")
async def packs_page(
    request: Request,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "packs.html", packs=await service.packs(rt, unit))


@router.get("/packs/list")
async def packs_list(
    request: Request,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "_packs.html", packs=await service.packs(rt, unit))


@router.get("/packs/{pack_id}")
async def pack_page(
    request: Request,
    pack_id: str,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "pack.html", **await service.pack(rt, unit, pack_id))


@router.post("/packs/{pack_id}/{action}")
async def switch_pack(
    request: Request,
    pack_id: str,
    action: str,
    form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    if action not in ("enable", "disable"):
        return render(request, "error.html", 404, message="Not found")
    pack = await service.set_pack_enabled(rt, unit, pack_id, action == "enable")
    message = flash(request, f"{pack['name']} is {action}d", oob=True)
    if form.get("view") == "list":
        return render(request, "_packs.html", packs=await service.packs(rt, unit), extra=message)
    return render(request, "_pack_head.html", pack=pack, extra=message)


# Vault


@router.get("/vault")
async def vault_page(
    request: Request,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    params = dict(request.query_params)
    return render(request, "vault.html", **await service.search_cards(rt, unit, params))


@router.get("/vault/results")
async def vault_results(
    request: Request,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    params = dict(request.query_params)
    response = render(request, "_cards.html", **await service.search_cards(rt, unit, params))
    response.headers["HX-Push-Url"] = f"{PREFIX}/vault?{request.url.query}"  # a reload works
    return response


@router.get("/cards/{card_id:path}")
async def card_page(
    request: Request,
    card_id: str,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "card.html", **await service.card(rt, unit, card_id))


@router.post("/cards/{card_id:path}/retire")
async def retire_card(
    request: Request,
    card_id: str,
    _form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    await service.retire_card(rt, unit, card_id)
    message = flash(request, "Card retired: it is out of its pool for good", oob=True)
    return render(
        request, "_card_place.html", **await service.card(rt, unit, card_id), extra=message
    )


# Orders


@router.get("/orders")
async def orders_page(
    request: Request,
    status: str | None = None,
    page: str | None = None,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    board = await service.board(rt, unit, status or None, page_number(page))
    return render(request, "orders.html", **board)


@router.get("/orders/board")
async def orders_board(
    request: Request,
    status: str | None = None,
    page: str | None = None,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    board = await service.board(rt, unit, status or None, page_number(page))
    return render(request, "_board.html", **board)


@router.get("/orders/{order_id}")
async def order_page(
    request: Request,
    order_id: str,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "order.html", **await service.order(rt, unit, order_id))


@router.post("/orders/{order_id}/{action}")
async def order_action(
    request: Request,
    order_id: str,
    action: str,
    form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    if action == "advance":
        await service.advance_order(rt, unit, order_id, form)
    elif action == "tracking":
        await service.attach_tracking(rt, unit, order_id, form)
    else:
        return render(request, "error.html", 404, message="Not found")
    if form.get("view") == "board":
        board = await service.board(
            rt, unit, form.get("status") or None, page_number(form.get("page"))
        )
        message = flash(request, f"Order {order_id} moved", oob=True)
        return render(request, "_board.html", **board, extra=message)
    shown = await service.order(rt, unit, order_id)
    message = flash(request, f"Order is {shown['order']['status']}", oob=True)
    return render(request, "_order.html", **shown, extra=message)


# Partners


@router.get("/partners")
async def partners_page(
    request: Request,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "partners.html", partners=await service.partners(rt, unit))


@router.post("/partners")
async def create_partner(
    request: Request,
    form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    await service.create_partner(rt, unit, form.get("name", ""))
    message = flash(request, "Partner created", oob=True)
    return render(
        request, "_partners.html", partners=await service.partners(rt, unit), extra=message
    )


@router.get("/partners/{name}")
async def partner_page(
    request: Request,
    name: str,
    _s: Session = Depends(require_session),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    return render(request, "partner.html", **await service.partner(rt, unit, name))


@router.post("/partners/{name}/keys")
async def create_key(
    request: Request,
    name: str,
    form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    created = await service.create_key(rt, unit, name, form)
    shown = await service.partner(rt, unit, name)
    return render(request, "_keys.html", **shown, new_key=created)


@router.post("/partners/{name}/keys/{key_id}/revoke")
async def revoke_key(
    request: Request,
    name: str,
    key_id: str,
    _form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    await service.revoke_key(rt, unit, key_id)
    forget_cached_keys(request.app)
    message = flash(request, f"Key {key_id} revoked", oob=True)
    return render(request, "_keys.html", **await service.partner(rt, unit, name), extra=message)


@router.post("/partners/{name}/webhooks")
async def create_endpoint(
    request: Request,
    name: str,
    form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    created = await service.create_endpoint(rt, unit, name, form)
    shown = await service.partner(rt, unit, name)
    return render(request, "_endpoints.html", **shown, new_endpoint=created)


@router.post("/partners/{name}/webhooks/{endpoint_id}/delete")
async def delete_endpoint(
    request: Request,
    name: str,
    endpoint_id: str,
    _form: Form = Depends(require_form),
    rt: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    await service.delete_endpoint(rt, unit, name, endpoint_id)
    message = flash(request, "Webhook endpoint deleted", oob=True)
    return render(
        request, "_endpoints.html", **await service.partner(rt, unit, name), extra=message
    )
