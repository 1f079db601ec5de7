"""Rendering: Jinja2 templates of the package, the console's route class (an expected error
becomes a message in the page, never JSON or a stack trace), the static files."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from clawvault.console import domain
from clawvault.console.errors import SignInRequired
from clawvault.core.errors import ApiError
from clawvault.core.timeutil import isoformat
from clawvault.shipping.domain import next_status

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"

templates = Environment(
    loader=PackageLoader("clawvault.console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(
    money=domain.money,
    prefix=PREFIX,
    next_status=next_status,
    can_stop=domain.can_stop,
)
templates.filters.update(
    iso=lambda value: (isoformat(value) or "—").replace("T", " ").removesuffix("Z"),
    url=lambda value: quote(str(value), safe=""),
    percent=lambda value: "—" if value is None else f"{value * 100:.1f}%",
)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("session", getattr(request.state, "console_session", None))
    html = templates.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


def flash(request: Request, message: str, *, error: bool = False, oob: bool = False) -> str:
    """The message area's HTML; with oob, swapped in beside the fragment an action returns."""
    return templates.get_template("_flash.html").render(message=message, error=error, oob=oob)


def error_response(request: Request, error: ApiError) -> Response:
    if is_htmx(request):  # shown in the page's message area, whatever the request targeted
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "outerHTML"}
        body = flash(request, error.message, error=True)
        return HTMLResponse(body, status_code=error.status_code, headers=headers)
    return render(request, "error.html", error.status_code, message=error.message)


def sign_in_response(request: Request) -> Response:
    target = f"{PREFIX}/signin"
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    path = request.url.path
    if request.method == "GET" and path.startswith(PREFIX) and path != target:
        target += f"?next={quote(path)}"
    return RedirectResponse(target, status_code=303)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return sign_in_response(request)
            except ApiError as error:
                return error_response(request, error)

        return console_handler


static_files = StaticFiles(directory=STATIC)
