"""The operator's command line: `clawvault --help`."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from clawvault.catalog.cli import register as register_catalog_commands
from clawvault.core.errors import ApiError
from clawvault.core.runtime import Runtime
from clawvault.db import migrate
from clawvault.db.engine import Database
from clawvault.db.models import Environment, OrderStatus
from clawvault.db.unit import Unit
from clawvault.settings import Settings, get_settings

T = TypeVar("T")
DEMO_PARTNER = "demo"


def _run(work: Callable[[Runtime], Awaitable[T]], settings: Settings | None = None) -> T:
    settings = settings or get_settings()

    async def main() -> T:
        runtime = Runtime(db=Database(settings.database_url, settings), settings=settings)
        try:
            return await work(runtime)
        finally:
            await runtime.db.dispose()

    try:
        return asyncio.run(main())
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc


@click.group()
def main() -> None:
    """clawvault: the backend of digital claw machines of real, vaulted, graded cards."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest schema."""
    migrate.upgrade(get_settings().database_url)
    click.echo("database is at the latest schema", err=True)


def _seed(runtime: Runtime, unit: Unit, cards: int, seed: int) -> Awaitable[int | None]:
    from clawvault.demo.catalog import count_cards
    from clawvault.demo.service import seed_demo

    async def work() -> int | None:
        with click.progressbar(
            length=count_cards(cards), label="seeding cards", file=sys.stderr
        ) as bar:
            return await seed_demo(runtime, unit, cards, seed, progress=bar.update)

    return work()


@main.group()
def demo() -> None:
    """The demo catalog."""


@demo.command("seed")
@click.option("--cards", default=5000, show_default=True, help="About how many cards.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same catalog.")
def demo_seed(cards: int, seed: int) -> None:
    """Seed a deterministic, realistic demo catalog into an empty database."""
    migrate.upgrade(get_settings().database_url)
    written = _run(lambda runtime: _seed(runtime, Unit(runtime.db), cards, seed))
    if written is None:
        raise click.ClickException("the catalog is not empty: seed an empty database")
    click.echo(f"seeded {written} cards", err=True)


@main.group()
def partners() -> None:
    """Partner accounts."""


@partners.command("create")
@click.argument("name")
def partners_create(name: str) -> None:
    from clawvault.partners.service import create_partner

    _run(lambda rt: create_partner(Unit(rt.db), name))
    click.echo(f"created partner {name}", err=True)


@main.group()
def keys() -> None:
    """API keys (stored hashed: a new key is shown once)."""


@keys.command("create")
@click.option("--partner", "partner_name", required=True)
@click.option("--sandbox", is_flag=True, help="A sandbox key (sandbox-...), for /_/api/v1.")
def keys_create(partner_name: str, sandbox: bool) -> None:
    """Prints only the new key on stdout."""
    from clawvault.partners.service import create_key

    environment = Environment.SANDBOX if sandbox else Environment.PRODUCTION
    click.echo(_run(lambda rt: create_key(Unit(rt.db), partner_name, environment)))


@main.group()
def orders() -> None:
    """Shipping orders."""


@orders.command("advance")
@click.argument("order_id")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Choice([s.value for s in OrderStatus if s is not OrderStatus.QUEUED]),
)
@click.option("--note", default=None, help="Reason (shown as error_message when stopping).")
def orders_advance(order_id: str, target: str, note: str | None) -> None:
    """Move an order forward (through every step between), or cancel/fail it."""
    from clawvault.shipping.service import advance_order

    order: dict[str, Any] = _run(
        lambda rt: advance_order(rt, Unit(rt.db), order_id, OrderStatus(target), note)
    )
    click.echo(f"{order['order_id']} is {order['status']}")


register_catalog_commands(main, _run)


@main.group()
def webhooks() -> None:
    """Webhook endpoints of partners."""


@webhooks.command("create")
@click.option("--partner", "partner_name", required=True)
@click.option("--event", "events", multiple=True, help="An event type (repeat; default: all).")
@click.option("--sandbox", is_flag=True, help="For the partner's sandbox events.")
@click.argument("url")
def webhooks_create(partner_name: str, events: tuple[str, ...], sandbox: bool, url: str) -> None:
    """Register an endpoint; prints its id and signing secret (shown once)."""
    from clawvault.db.unit import Unit
    from clawvault.webhooks.service import create_endpoint_for

    environment = Environment.SANDBOX if sandbox else Environment.PRODUCTION
    created = _run(
        lambda rt: create_endpoint_for(
            rt, Unit(rt.db), partner_name, environment, url, list(events)
        )
    )
    click.echo(f"{created['id']} {created['secret']}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True)
@click.option("--print-demo-keys", is_flag=True, help="Create and print demo partner keys.")
@click.option("--no-seed", is_flag=True, help="Do not seed the demo catalog into an empty db.")
@click.option("--demo", is_flag=True, help="Demo: print demo keys, simulate a moving market.")
@click.option(
    "--worker-healthcheck-timeout",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds a worker may take to answer the supervisor's health check before it is "
    "killed and restarted (uvicorn's default, 5, kills workers of a saturated machine).",
)
def serve(
    host: str,
    port: int,
    workers: int,
    print_demo_keys: bool,
    no_seed: bool,
    demo: bool,
    worker_healthcheck_timeout: int,
) -> None:
    """Serve the Partner API (migrates the database and seeds the demo catalog when empty)."""
    import uvicorn

    if demo:
        os.environ["CLAWVAULT_MARKET_SIMULATION"] = "true"
        get_settings.cache_clear()
        if not get_settings().admin_token:  # the console needs one; workers inherit it
            os.environ["CLAWVAULT_ADMIN_TOKEN"] = f"demo-operator-{secrets.token_urlsafe(18)}"
            get_settings.cache_clear()
        print_demo_keys = True

    from clawvault.demo.service import catalog_is_empty
    from clawvault.partners.service import ensure_partner_keys

    if not os.environ.get("CLAWVAULT_PUBLIC_BASE_URL"):  # links (demo pictures) to this server
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["CLAWVAULT_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    settings = get_settings()
    migrate.upgrade(settings.database_url)

    async def prepare(runtime: Runtime) -> list[str] | None:
        # Two jobs, a unit each: the demo catalog, then the demo partner's keys.
        seeding = Unit(runtime.db)
        if not no_seed and await catalog_is_empty(runtime, seeding):
            # only one of several processes started together seeds
            await _seed(runtime, seeding, 5000, 1)
        if not print_demo_keys:
            return None
        environments = [Environment.PRODUCTION, Environment.SANDBOX]
        return await ensure_partner_keys(Unit(runtime.db), DEMO_PARTNER, environments)

    demo_keys = _run(prepare, settings)
    base = f"http://{host}:{port}"
    click.echo(f"clawvault serving on {base}  (database: {settings.database_url})")
    if demo_keys:
        click.echo(f"  production API: {base}/api/v1   demo key:  {demo_keys[0]}")
        click.echo(f"  sandbox API:    {base}/_/api/v1 demo key:  {demo_keys[1]}")
        click.echo(f"  try: curl -H 'X-API-Key: {demo_keys[0]}' {base}/api/v1/vm/available")
    click.echo(console_line(base, settings.admin_token, demo))
    os.environ["CLAWVAULT_DATABASE_URL"] = settings.database_url
    # Worker processes start with this (glibc reads it at start): without it each SQLite
    # connection's thread gets its own malloc arena, which keeps what it once used.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    with shared_sandbox_store(settings):
        uvicorn.run(
            "clawvault.app:create_served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            timeout_worker_healthcheck=worker_healthcheck_timeout,
        )


def console_line(base: str, admin_token: str, demo: bool) -> str:
    if not admin_token:
        return f"  operator console: {base}/console is off: set CLAWVAULT_ADMIN_TOKEN to enable it"
    if demo:
        return f"  operator console: {base}/console   operator token: {admin_token}"
    return f"  operator console: {base}/console   (sign in with CLAWVAULT_ADMIN_TOKEN)"


@contextmanager
def shared_sandbox_store(settings: Settings) -> Iterator[None]:
    """One in-memory sandbox for all the workers of this server, deleted when it stops."""
    from clawvault.sandbox.store import make_memory_store

    if settings.sandbox_persist or settings.sandbox_database_url:
        yield
        return
    directory, url = make_memory_store()
    os.environ["CLAWVAULT_SANDBOX_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@main.command()
@click.argument("receipt_file", type=click.File("r"))
def verify(receipt_file: Any) -> None:
    """Check a fairness receipt (GET /api/v1/fairness/receipts/{session_id}) card by card."""
    import json

    from clawvault.fairness.verify import verify_receipt

    try:
        receipt = json.load(receipt_file)
        results = verify_receipt(receipt)
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"not a clawvault receipt: {exc}") from exc
    for result in results:
        verdict = "pass" if result.passed else "FAIL: " + "; ".join(result.problems)
        click.echo(f"card {result.position} {result.item_id}: {verdict}")
    if not results or not all(r.passed for r in results):
        sys.exit(1)
