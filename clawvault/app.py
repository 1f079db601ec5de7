"""Builds the application: routers mounted under /api/v1, error handlers, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from clawvault.admin.router import router as admin_router
from clawvault.buyback.router import router as buyback_router
from clawvault.console.router import install as install_console
from clawvault.core.fastpath import FastPathMiddleware
from clawvault.core.http import JsonResponse, install_error_handlers
from clawvault.core.openapi import COMMON_RESPONSES, OPERATOR_ERRORS, DocumentedApp
from clawvault.core.randomness import Randomness
from clawvault.core.request_guard import RequestGuardMiddleware
from clawvault.core.request_id import RequestIdMiddleware
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import Clock
from clawvault.db.engine import Database
from clawvault.db.unit import Unit
from clawvault.demo.router import DEMO_PREFIX
from clawvault.demo.router import router as demo_router
from clawvault.fairness.router import router as fairness_router
from clawvault.idempotency.middleware import IdempotencyMiddleware
from clawvault.idempotency.service import purge as purge_idempotency_keys
from clawvault.inventory.router import inventory_fast
from clawvault.inventory.router import router as inventory_router
from clawvault.ledger.router import router as ledger_router
from clawvault.packs.router import available_fast
from clawvault.packs.router import router as packs_router
from clawvault.packs.service import keep_ev_fresh
from clawvault.partners.auth import KeyCache
from clawvault.pricing.background import start_price_jobs
from clawvault.pulls.router import router as pulls_router
from clawvault.ratelimit.middleware import RateLimitMiddleware
from clawvault.ratelimit.service import purge as purge_rate_windows
from clawvault.sandbox.events import announce_expiring as announce_sandbox_expiring
from clawvault.sandbox.router import CONTROL_PREFIX
from clawvault.sandbox.router import router as sandbox_control_router
from clawvault.sandbox.store import open_store
from clawvault.settings import Settings, get_settings
from clawvault.shipping.router import router as shipping_router
from clawvault.shipping.router import ship_quote_fast
from clawvault.shipping.simulation import start_fulfilment_simulation
from clawvault.variants import unit_of
from clawvault.webhooks.router import router as webhooks_router
from clawvault.webhooks.worker import announce_expiring, run_webhooks

API_PREFIX = "/api/v1"
SANDBOX_API_PREFIX = "/_/api/v1"

ADMIN_PREFIX = "/admin/v1"

log = logging.getLogger("clawvault")

NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def telemetry_of(settings: Settings) -> TelemetryConfig | None:
    """FastAPI's `telemetry` argument: off unless asked for (off, FastAPI does not look for
    OpenTelemetry providers at each request); None, FastAPI's defaults."""
    return None if settings.opentelemetry else NO_TELEMETRY


PARTNER_ROUTERS = (
    packs_router,
    pulls_router,
    inventory_router,
    buyback_router,
    shipping_router,
    fairness_router,
    ledger_router,
    webhooks_router,
)


def include_partner_api(app: FastAPI, prefix: str) -> None:
    """The Partner API's routers under `prefix`, each included in the app itself: a request is
    matched against one level of included routers, not two (FastAPI walks every level's
    candidates, each with its own bookkeeping)."""
    for router in PARTNER_ROUTERS:
        app.include_router(router, prefix=prefix, responses=COMMON_RESPONSES)


async def keep_tidy(runtime: Runtime, every_seconds: float = 600.0) -> None:
    """Forgets idempotency keys past their retention and finished rate-limit windows."""
    while True:
        try:
            await purge_idempotency_keys(runtime, Unit(runtime.db))
            await purge_rate_windows(runtime, Unit(runtime.db))
        except Exception:
            log.exception("maintenance pass failed")
        await asyncio.sleep(every_seconds)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    randomness: Randomness | None = None,
    freeze_gc: bool = False,
) -> FastAPI:
    """The app; tests pass a clock and a seeded randomness."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = Runtime(db=Database(settings.database_url, settings), settings=settings)
        if clock is not None:
            rt.clock = clock
        if randomness is not None:
            rt.randomness = randomness
        sandbox_store = open_store(settings, rt.db)
        rt.sandbox_db = sandbox_store.db
        app.state.runtime = rt
        background = []
        if settings.ev_refresh_seconds > 0:
            background.append(asyncio.create_task(keep_ev_fresh(rt)))
        background += start_price_jobs(rt)
        background += start_fulfilment_simulation(rt)

        if settings.webhook_poll_seconds > 0:
            scans = (announce_expiring, announce_sandbox_expiring)
            background.append(asyncio.create_task(run_webhooks(rt, scans)))
        background.append(asyncio.create_task(keep_tidy(rt)))
        if freeze_gc:
            # Everything made so far (modules, SQLAlchemy's tables and compiled statements,
            # FastAPI's routes: ~150,000 objects) lives as long as the worker: leave it out of
            # the cyclic garbage collector's full passes, which traversed all of it every few
            # seconds under load, each a ~100 ms stop of the worker (every request waited).
            gc.freeze()
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await sandbox_store.close()
            await rt.db.dispose()

    app = DocumentedApp(
        title="clawvault Partner API",
        version="1.0.0",
        default_response_class=JsonResponse,
        lifespan=lifespan,
        telemetry=telemetry_of(settings),
    )
    app.state.key_cache = KeyCache()
    install_error_handlers(app)
    # Outermost last: every answer gets its request id, rate limits apply before any work.
    if settings.fast_gets or settings.fast_posts:
        gets = settings.fast_gets
        app.add_middleware(
            FastPathMiddleware,
            prefixes=(API_PREFIX, SANDBOX_API_PREFIX),
            exact={"/vm/available": available_fast} if gets else {},
            one_segment={"/inventory": inventory_fast} if gets else {},
            posts={"/ship/quote": ship_quote_fast} if settings.fast_posts else {},
            units=unit_of,
        )
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(
        RequestGuardMiddleware, partner_prefixes=(API_PREFIX + "/", SANDBOX_API_PREFIX + "/")
    )
    app.add_middleware(RequestIdMiddleware, max_body_bytes=settings.max_body_bytes)
    include_partner_api(app, API_PREFIX)
    include_partner_api(app, SANDBOX_API_PREFIX)
    app.include_router(sandbox_control_router, prefix=CONTROL_PREFIX, responses=OPERATOR_ERRORS)
    app.include_router(admin_router, prefix=ADMIN_PREFIX, responses=OPERATOR_ERRORS)
    app.include_router(demo_router, prefix=DEMO_PREFIX)
    install_console(app)
    return app


def create_served_app() -> FastAPI:
    """The app of a `clawvault serve` worker (uvicorn's factory): the process is the app's."""
    return create_app(freeze_gc=True)
