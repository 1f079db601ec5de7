"""What each console page shows and what its buttons do: mostly the other domains' services
(admin, catalog, fairness, ledger, pricing, shipping, webhooks); the console's own queries
are in its repository."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from clawvault.admin import service as admin
from clawvault.catalog import cards_service, packs_service
from clawvault.catalog.errors import CatalogNotFound
from clawvault.console import domain
from clawvault.console.errors import InvalidInput
from clawvault.console.repository import CardFilters, ConsoleRepository
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.models import CardStatus, Environment, OrderStatus
from clawvault.db.unit import Unit
from clawvault.fairness.service import published_odds
from clawvault.ledger import service as ledger
from clawvault.packs.repository import PackRepository
from clawvault.partners.auth import Caller
from clawvault.partners.service import partner_id
from clawvault.pricing import service as pricing
from clawvault.shipping.domain import next_status
from clawvault.shipping.errors import OrderNotFound
from clawvault.shipping.repository import ShippingRepository
from clawvault.webhooks import service as webhooks

EV_DAYS = 7
# The production odds read no partner's data: the operator asks as production, as nobody.
OPERATOR = Caller(partner_id=0, environment=Environment.PRODUCTION)
PULL_HOURS = 48
LEDGER_DAYS = 30


async def packs(runtime: Runtime) -> list[dict[str, Any]]:
    records = await packs_service.list_pack_records(runtime)
    async with runtime.db.read() as conn:
        available = await ConsoleRepository(conn).available_by_pack()
    return [{**r, "available": available.get(r["id"], 0)} for r in records]


async def pack(runtime: Runtime, pack_id: str) -> dict[str, Any]:
    record = await packs_service.get_pack_record(runtime, pack_id)
    odds = await published_odds(runtime, Unit(runtime.db), OPERATOR, pack_id)
    now = runtime.clock()
    since = now - timedelta(days=EV_DAYS)
    async with runtime.db.read() as conn:
        ev_history = await PackRepository(conn).ev_history(pack_id, since)
        pulls = await ConsoleRepository(conn).pull_times(pack_id, now - timedelta(hours=PULL_HOURS))
    first = ev_history[0][0] if ev_history else now
    counts = domain.hourly_counts(pulls, now, PULL_HOURS)
    return {
        "pack": record,
        "odds": odds,
        "ev_chart": domain.step_chart(ev_history, max(first, since), now),
        "pulls_chart": domain.bar_chart(counts, now),
        "pulls_total": sum(counts),
    }


async def set_pack_enabled(runtime: Runtime, pack_id: str, enable: bool) -> dict[str, Any]:
    await packs_service.set_enabled(runtime, pack_id, enable)
    return await packs_service.get_pack_record(runtime, pack_id)


def card_filters(params: dict[str, str]) -> CardFilters:
    tier = params.get("tier", "").strip()
    if tier and not tier.isdigit():
        raise InvalidInput("tier must be a tier number")
    status = params.get("status", "").strip()
    if status and status not in {s.value for s in CardStatus}:
        raise InvalidInput(f"unknown status {status!r}")
    return CardFilters(
        text=params.get("q", "").strip()[:200],
        pack_id=params.get("pack", "").strip(),
        tier_id=int(tier) if tier else None,
        status=status,
        grader=params.get("grader", "").strip()[:50],
        grade=params.get("grade", "").strip()[:50],
    )


async def search_cards(runtime: Runtime, params: dict[str, str]) -> dict[str, Any]:
    filters = card_filters(params)
    page = domain.page_number(params.get("page"))
    offset = (page - 1) * domain.PAGE_SIZE
    async with runtime.db.read() as conn:
        rows = await ConsoleRepository(conn).search_cards(filters, domain.PAGE_SIZE + 1, offset)
        pack_list = await PackRepository(conn).list_packs()
    return {
        "filters": filters,
        "cards": rows[: domain.PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > domain.PAGE_SIZE,
        "packs": pack_list,
        "statuses": [s.value for s in CardStatus],
        "params": {k: v for k, v in params.items() if k != "page" and v},
    }


async def card(runtime: Runtime, card_id: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        repo = ConsoleRepository(conn)
        row = await repo.card(card_id)
        if row is None:
            raise CatalogNotFound("Card not found")
        orders = await repo.card_orders(card_id)
    history = await pricing.price_history(runtime, card_id, 200)
    assert history is not None
    ordered = sorted(history["history"], key=lambda h: h["as_of"])
    series = [(_instant(h["as_of"]), round(h["fmv"] * 100)) for h in ordered if h["as_of"]]
    current = (as_utc(row["fmv_as_of"]), int(row["fmv_cents"]))
    if not series or current[0] > series[-1][0]:  # a first price that is not in the history
        series.append(current)
    now = runtime.clock()
    chart = domain.step_chart(series, series[0][0] if series else now, now)
    return {"card": row, "prices": history, "chart": chart, "orders": orders}


def _instant(iso: str) -> datetime:
    return as_utc(datetime.fromisoformat(iso.replace("Z", "+00:00")))


async def retire_card(runtime: Runtime, card_id: str) -> None:
    await cards_service.retire_card(runtime, card_id)


async def board(runtime: Runtime, status: str | None, page: int) -> dict[str, Any]:
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InvalidInput(f"unknown order status {status!r}")
    shown = [status] if status else [s.value for s in domain.BOARD_STATUSES]
    offset = (page - 1) * domain.PAGE_SIZE
    columns = []
    async with runtime.db.read() as conn:
        repo = ConsoleRepository(conn)
        counts = await repo.order_counts()
        for name in shown:
            rows = await repo.orders(name, domain.PAGE_SIZE + 1, offset)
            columns.append(
                {
                    "status": name,
                    "count": counts.get(name, 0),
                    "orders": rows[: domain.PAGE_SIZE],
                    "has_next": len(rows) > domain.PAGE_SIZE,
                }
            )
    return {"columns": columns, "status": status, "page": page, "counts": counts}


async def order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        repo = ConsoleRepository(conn)
        row = await repo.order(order_id)
        if row is None:
            raise OrderNotFound()
        items = await ShippingRepository(conn).order_items(order_id)
        events = await repo.order_events(order_id)
        entries = await repo.order_ledger(order_id)
    return {
        "order": row,
        "items": items,
        "events": events,
        "entries": entries,
        "next": next_status(row["status"]),
        "can_stop": domain.can_stop(row["status"]),
        "takes_tracking": domain.takes_tracking(row["status"]),
    }


async def advance_order(runtime: Runtime, order_id: str, form: dict[str, str]) -> None:
    target = form.get("to", "")
    note = form.get("note", "").strip()
    if target in (OrderStatus.CANCELLED.value, OrderStatus.FAILED.value) and not note:
        raise InvalidInput(f"say why the order is {target}: the reason is shown to the partner")
    await admin.advance_order(runtime, order_id, {"to": target, "note": note or None})


async def attach_tracking(runtime: Runtime, order_id: str, form: dict[str, str]) -> None:
    await admin.attach_tracking(runtime, order_id, form)


async def partners(runtime: Runtime) -> list[dict[str, Any]]:
    listed = await admin.list_partners(runtime)
    async with runtime.db.read() as conn:
        balances = await ConsoleRepository(conn).balances()
    return [{**p, "balance_cents": balances.get(p["id"], 0)} for p in listed]


async def create_partner(runtime: Runtime, name: str) -> None:
    await admin.create_partner(runtime, name)


async def partner(runtime: Runtime, name: str) -> dict[str, Any]:
    caller = Caller(await partner_id(runtime.db, name), Environment.PRODUCTION)
    start = (runtime.clock() - timedelta(days=LEDGER_DAYS)).date().isoformat()
    statement = await ledger.statement(runtime, Unit(runtime.db), caller, start, None, "20", None)
    deliveries = await webhooks.list_deliveries(runtime, caller, "20", None, None)
    sandbox = Caller(caller.partner_id, Environment.SANDBOX)
    sandbox_deliveries = await webhooks.list_deliveries(runtime, sandbox, "20", None, None)
    return {
        "name": name,
        "keys": await admin.list_keys(runtime, name),
        "statement": statement,
        "endpoints": (await webhooks.list_endpoints_for(runtime, name))["endpoints"],
        "deliveries": deliveries["deliveries"] + sandbox_deliveries["deliveries"],
        "ledger_days": LEDGER_DAYS,
    }


async def create_key(runtime: Runtime, name: str, form: dict[str, str]) -> dict[str, Any]:
    return await admin.create_key(runtime, name, form.get("environment") == "sandbox")


async def revoke_key(runtime: Runtime, key_id: str) -> None:
    if not key_id.isdigit():
        raise InvalidInput("no such key")
    await admin.revoke_key(runtime, int(key_id))


async def create_endpoint(runtime: Runtime, name: str, form: dict[str, str]) -> dict[str, Any]:
    environment = Environment.SANDBOX if form.get("environment") == "sandbox" else None
    events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
    return await webhooks.create_endpoint_for(
        runtime, name, environment or Environment.PRODUCTION, form.get("url", "").strip(), events
    )


async def delete_endpoint(runtime: Runtime, name: str, endpoint_id: str) -> None:
    await webhooks.delete_endpoint_for(runtime, name, endpoint_id)
