"""What each console page shows and what its buttons do: mostly the other domains' services
(admin, catalog, fairness, ledger, pricing, shipping, webhooks); the console's own queries
are in its repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from clawvault.admin import service as admin
from clawvault.catalog import cards_service, packs_service
from clawvault.catalog.errors import CatalogNotFound
from clawvault.console import domain
from clawvault.console.errors import InvalidInput
from clawvault.console.repository import CardFilters, ConsoleRepository
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
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
RowsRead = Sequence[RowMapping]


async def packs(runtime: Runtime, unit: Unit) -> list[dict[str, Any]]:
    records = await packs_service.list_pack_records(runtime, unit)

    async def read(conn: Conn) -> dict[str, int]:
        return await ConsoleRepository(conn).available_by_pack()

    available = await unit.read(read)
    return [{**r, "available": available.get(r["id"], 0)} for r in records]


async def pack(runtime: Runtime, unit: Unit, pack_id: str) -> dict[str, Any]:
    record = await packs_service.get_pack_record(runtime, unit, pack_id)
    odds = await published_odds(runtime, unit, OPERATOR, pack_id)
    now = runtime.clock()
    since = now - timedelta(days=EV_DAYS)

    async def read(conn: Conn) -> tuple[list[tuple[datetime, int]], list[datetime]]:
        ev_history = await PackRepository(conn).ev_history(pack_id, since)
        pulls = await ConsoleRepository(conn).pull_times(pack_id, now - timedelta(hours=PULL_HOURS))
        return ev_history, pulls

    ev_history, pulls = await unit.read(read)
    first = ev_history[0][0] if ev_history else now
    counts = domain.hourly_counts(pulls, now, PULL_HOURS)
    return {
        "pack": record,
        "odds": odds,
        "ev_chart": domain.step_chart(ev_history, max(first, since), now),
        "pulls_chart": domain.bar_chart(counts, now),
        "pulls_total": sum(counts),
    }


async def set_pack_enabled(
    runtime: Runtime, unit: Unit, pack_id: str, enable: bool
) -> dict[str, Any]:
    await packs_service.set_enabled(runtime, unit, pack_id, enable)
    return await packs_service.get_pack_record(runtime, unit, pack_id)


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


async def search_cards(runtime: Runtime, unit: Unit, params: dict[str, str]) -> dict[str, Any]:
    filters = card_filters(params)
    page = domain.page_number(params.get("page"))
    offset = (page - 1) * domain.PAGE_SIZE

    async def read(conn: Conn) -> tuple[RowsRead, RowsRead]:
        rows = await ConsoleRepository(conn).search_cards(filters, domain.PAGE_SIZE + 1, offset)
        return rows, await PackRepository(conn).list_packs()

    rows, pack_list = await unit.read(read)
    return {
        "filters": filters,
        "cards": rows[: domain.PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > domain.PAGE_SIZE,
        "packs": pack_list,
        "statuses": [s.value for s in CardStatus],
        "params": {k: v for k, v in params.items() if k != "page" and v},
    }


async def card(runtime: Runtime, unit: Unit, card_id: str) -> dict[str, Any]:
    async def read(conn: Conn) -> tuple[RowMapping, RowsRead]:
        repo = ConsoleRepository(conn)
        row = await repo.card(card_id)
        if row is None:
            raise CatalogNotFound("Card not found")
        return row, await repo.card_orders(card_id)

    row, orders = await unit.read(read)
    history = await pricing.price_history(runtime, unit, card_id, 200)
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


async def retire_card(runtime: Runtime, unit: Unit, card_id: str) -> None:
    await cards_service.retire_card(runtime, unit, card_id)


async def board(runtime: Runtime, unit: Unit, status: str | None, page: int) -> dict[str, Any]:
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InvalidInput(f"unknown order status {status!r}")
    shown = [status] if status else [s.value for s in domain.BOARD_STATUSES]
    offset = (page - 1) * domain.PAGE_SIZE

    async def read(conn: Conn) -> tuple[dict[str, int], list[dict[str, Any]]]:
        repo = ConsoleRepository(conn)
        counts = await repo.order_counts()
        columns = []
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
        return counts, columns

    counts, columns = await unit.read(read)
    return {"columns": columns, "status": status, "page": page, "counts": counts}


async def order(runtime: Runtime, unit: Unit, order_id: str) -> dict[str, Any]:
    async def read(conn: Conn) -> tuple[RowMapping, RowsRead, RowsRead, RowsRead]:
        repo = ConsoleRepository(conn)
        row = await repo.order(order_id)
        if row is None:
            raise OrderNotFound()
        items = await ShippingRepository(conn).order_items(order_id)
        return row, items, await repo.order_events(order_id), await repo.order_ledger(order_id)

    row, items, events, entries = await unit.read(read)
    return {
        "order": row,
        "items": items,
        "events": events,
        "entries": entries,
        "next": next_status(row["status"]),
        "can_stop": domain.can_stop(row["status"]),
        "takes_tracking": domain.takes_tracking(row["status"]),
    }


async def advance_order(runtime: Runtime, unit: Unit, order_id: str, form: dict[str, str]) -> None:
    target = form.get("to", "")
    note = form.get("note", "").strip()
    if target in (OrderStatus.CANCELLED.value, OrderStatus.FAILED.value) and not note:
        raise InvalidInput(f"say why the order is {target}: the reason is shown to the partner")
    await admin.advance_order(runtime, unit, order_id, {"to": target, "note": note or None})


async def attach_tracking(
    runtime: Runtime, unit: Unit, order_id: str, form: dict[str, str]
) -> None:
    await admin.attach_tracking(runtime, unit, order_id, form)


async def partners(runtime: Runtime, unit: Unit) -> list[dict[str, Any]]:
    listed = await admin.list_partners(runtime, unit)

    async def read(conn: Conn) -> dict[int, int]:
        return await ConsoleRepository(conn).balances()

    balances = await unit.read(read)
    return [{**p, "balance_cents": balances.get(p["id"], 0)} for p in listed]


async def create_partner(runtime: Runtime, unit: Unit, name: str) -> None:
    await admin.create_partner(runtime, unit, name)


async def partner(runtime: Runtime, unit: Unit, name: str) -> dict[str, Any]:
    caller = Caller(await partner_id(unit, name), Environment.PRODUCTION)
    start = (runtime.clock() - timedelta(days=LEDGER_DAYS)).date().isoformat()
    statement = await ledger.statement(runtime, unit, caller, start, None, "20", None)
    deliveries = await webhooks.list_deliveries(runtime, unit, caller, "20", None, None)
    sandbox = Caller(caller.partner_id, Environment.SANDBOX)
    sandbox_deliveries = await webhooks.list_deliveries(runtime, unit, sandbox, "20", None, None)
    return {
        "name": name,
        "keys": await admin.list_keys(runtime, unit, name),
        "statement": statement,
        "endpoints": (await webhooks.list_endpoints_for(runtime, unit, name))["endpoints"],
        "deliveries": deliveries["deliveries"] + sandbox_deliveries["deliveries"],
        "ledger_days": LEDGER_DAYS,
    }


async def create_key(
    runtime: Runtime, unit: Unit, name: str, form: dict[str, str]
) -> dict[str, Any]:
    return await admin.create_key(runtime, unit, name, form.get("environment") == "sandbox")


async def revoke_key(runtime: Runtime, unit: Unit, key_id: str) -> None:
    if not key_id.isdigit():
        raise InvalidInput("no such key")
    await admin.revoke_key(runtime, unit, int(key_id))


async def create_endpoint(
    runtime: Runtime, unit: Unit, name: str, form: dict[str, str]
) -> dict[str, Any]:
    environment = Environment.SANDBOX if form.get("environment") == "sandbox" else None
    events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
    return await webhooks.create_endpoint_for(
        runtime,
        unit,
        name,
        environment or Environment.PRODUCTION,
        form.get("url", "").strip(),
        events,
    )


async def delete_endpoint(runtime: Runtime, unit: Unit, name: str, endpoint_id: str) -> None:
    await webhooks.delete_endpoint_for(runtime, unit, name, endpoint_id)
