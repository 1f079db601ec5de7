"""Shipping: quotes, orders, and moving orders through fulfilment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.ids import new_order_id, split_rate_id
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.models import CardStatus, LedgerKind, OrderStatus
from clawvault.db.unit import Unit
from clawvault.ledger.repository import LedgerRepository, ledger_entry
from clawvault.partners.auth import Caller
from clawvault.shipping.address import check_address, country_of
from clawvault.shipping.domain import (
    SUPPORTED_COUNTRIES,
    IllegalTransition,
    Rate,
    Tracking,
    new_quote,
    parse_item_ids,
    parse_tracking,
    plan_move,
    zone_for,
)
from clawvault.shipping.errors import (
    CountryNotSupported,
    IllegalOrderMove,
    InvalidAddress,
    ItemAlreadyShipped,
    ItemNotFound,
    MixedUsers,
    NoShippableItems,
    OrderNotFound,
    QuoteExpired,
    QuoteIdRequired,
)
from clawvault.shipping.presenters import order_json, quote_json
from clawvault.shipping.quote_rounds import quote_rounds
from clawvault.shipping.repository import ShippingRepository
from clawvault.webhooks.domain import EventType
from clawvault.webhooks.service import emit

IN_ORDER = {CardStatus.SHIPPING.value, CardStatus.SHIPPED.value}


async def quote(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    item_ids = parse_item_ids(body.get("item_ids"))
    destination = body.get("destination")
    check = check_address(destination)
    if not check.ok:
        raise InvalidAddress(check.details(), check.normalized if check.fixable else None)
    assert isinstance(destination, dict)
    now = runtime.clock()

    def quote_of(cards: Sequence[Any]) -> tuple[dict[str, Any], list[Rate]]:
        if len(cards) != len(item_ids) or any(
            c["owner_partner_id"] != caller.partner_id for c in cards
        ):
            raise ItemNotFound()
        users = {c["owner_user_id"] for c in cards}
        if len(users) != 1:
            raise MixedUsers()
        shippable = [c for c in cards if c["status"] == CardStatus.HELD.value]
        if not shippable:
            raise NoShippableItems()
        country = country_of(destination)
        if country not in SUPPORTED_COUNTRIES:
            raise CountryNotSupported()
        zone = zone_for(country, destination.get("state"))
        ttl = timedelta(seconds=runtime.settings.quote_ttl_seconds)
        values, rates = new_quote(users.pop(), shippable, "id", destination, zone, now, ttl)
        values["partner_id"] = caller.partner_id
        return values, rates

    return await add_quote(unit, item_ids, quote_of)


QuoteOf = Callable[[Sequence[Any]], tuple[dict[str, Any], list[Rate]]]


async def add_quote(unit: Unit, item_ids: list[str], quote_of: QuoteOf) -> dict[str, Any]:
    """The quote `quote_of` builds from the cards of `item_ids`, stored; its answer. Two ways:
    PostgreSQL, when nothing must commit with it, in a round shared with the other quotes in
    flight (`quote_rounds`: one statement each for their reads and their inserts, one commit
    for them all); otherwise in the unit's transaction (`quote_in_transaction`)."""
    if unit.autocommits():
        return _answer(*await quote_rounds(unit.db).quote(item_ids, quote_of))
    return await quote_in_transaction(unit, item_ids, quote_of)


async def quote_in_transaction(
    unit: Unit, item_ids: list[str], quote_of: QuoteOf
) -> dict[str, Any]:
    async def add(conn: Conn) -> dict[str, Any]:
        repo = ShippingRepository(conn)
        values, rates = quote_of(await repo.cards(item_ids))
        await repo.add_quote(values)
        return _answer(values, rates)

    return await unit.write(add, attempts=1, inline=True, answers=True)


def _answer(values: dict[str, Any], rates: list[Rate]) -> dict[str, Any]:
    return quote_json(values["id"], values["expires_at"], rates)


async def request(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    quote_id = body.get("quote_id")
    parts = split_rate_id(quote_id) if isinstance(quote_id, str) else None
    if parts is None:
        raise QuoteIdRequired()
    session_id, rate_key = parts
    now = runtime.clock()

    async def place(conn: Conn) -> dict[str, Any]:
        repo = ShippingRepository(conn)
        stored = await repo.quote(session_id, caller.partner_id)
        if stored is None or now >= as_utc(stored["expires_at"]):
            raise QuoteExpired()
        rate = next((r for r in stored["rates"] if r["key"] == rate_key), None)
        if rate is None:
            raise QuoteExpired()
        item_ids: list[str] = stored["item_ids"]
        cards = await repo.cards(item_ids, lock=True)
        if any(c["status"] in IN_ORDER for c in cards):
            raise ItemAlreadyShipped()
        order_id = new_order_id()
        moved = await repo.move_cards_into_order(
            item_ids, caller.partner_id, stored["user_id"], order_id, now
        )
        if moved != len(item_ids):
            raise ItemNotFound()
        await repo.add_order(
            {
                "id": order_id,
                "partner_id": caller.partner_id,
                "user_id": stored["user_id"],
                "quote_id": session_id,
                "rate_key": rate_key,
                "carrier": rate["carrier"],
                "service": rate["service"],
                "amount_cents": rate["amount_cents"],
                "destination": stored["destination"],
                "status": OrderStatus.QUEUED.value,
                "created_at": now,
                "updated_at": now,
            },
            [
                {
                    "order_id": order_id,
                    "card_id": c["id"],
                    "name": c["name"],
                    "image": c["image"],
                    "back_image": c["back_image"],
                    "released": False,
                }
                for c in cards
            ],
        )
        await repo.add_event(order_id, OrderStatus.QUEUED.value, None, now)
        await LedgerRepository(conn).add(
            ledger_entry(
                caller.partner_id,
                LedgerKind.SHIPPING,
                -rate["amount_cents"],
                order_id,
                stored["user_id"],
                now,
            )
        )
        created = await repo.order(order_id)
        assert created is not None
        shipment = {
            **order_json(created, await repo.order_items(order_id)),
            "user_id": created["user_id"],
        }
        await emit(conn, caller.partner_id, EventType.SHIPMENT_STATUS_CHANGED, shipment, now)
        return {"order_id": order_id, "status": "success"}

    return await unit.write(place, answers=True)


async def get_order(runtime: Runtime, unit: Unit, caller: Caller, order_id: str) -> dict[str, Any]:
    async def find(conn: Conn) -> dict[str, Any]:
        repo = ShippingRepository(conn)
        order = await repo.order(order_id, partner_id=caller.partner_id)
        if order is None:
            raise OrderNotFound()
        return order_json(order, await repo.order_items(order_id))

    return await unit.read(find)


async def advance_order(
    runtime: Runtime,
    unit: Unit,
    order_id: str,
    target: OrderStatus,
    note: str | None = None,
    *,
    tracking: Tracking | None = None,
) -> dict[str, Any]:
    """The operator's move of an order, through every intermediate status (the label's
    tracking number given by the operator, or made up from the order id)."""
    now = runtime.clock()

    async def move(conn: Conn) -> dict[str, Any]:
        order = await ShippingRepository(conn).order(order_id, lock=True)
        if order is None:
            raise OrderNotFound()
        return await _advance(conn, runtime, order, target, note, tracking, now)

    return await unit.write(move)


async def _advance(
    conn: Conn,
    runtime: Runtime,
    order: RowMapping,
    target: OrderStatus,
    note: str | None,
    tracking: Tracking | None,
    now: datetime,
) -> dict[str, Any]:
    """`advance_order`'s move of `order`, locked in `conn`'s transaction."""
    repo = ShippingRepository(conn)
    order_id: str = order["id"]
    try:
        move = plan_move(
            order,
            target,
            now,
            runtime.settings.tracking_url_template,
            note=note,
            tracking=tracking,
        )
    except IllegalTransition as exc:
        raise IllegalOrderMove(str(exc)) from exc
    if move.ships:
        await repo.set_order_cards_status(order_id, CardStatus.SHIPPED, now)
    if move.releases:
        await repo.release_order_cards(order_id, now)
        await LedgerRepository(conn).add(
            ledger_entry(
                order["partner_id"],
                LedgerKind.SHIPPING_REFUND,
                order["amount_cents"],
                order_id,
                order["user_id"],
                now,
            )
        )
    for status in move.path:
        await repo.add_event(order_id, status.value, note, now)
    await repo.update_order(order_id, move.values)
    moved = await repo.order(order_id)
    assert moved is not None
    items = await repo.order_items(order_id)
    shipment = {**order_json(moved, items), "user_id": moved["user_id"]}
    await emit(conn, moved["partner_id"], EventType.SHIPMENT_STATUS_CHANGED, shipment, now)
    return order_json(moved, items)


async def attach_tracking(
    runtime: Runtime, unit: Unit, order_id: str, carrier: Any, number: Any
) -> dict[str, Any]:
    """The operator's own label: an order still being prepared gets its label with this
    tracking number (so moves to label_created); a labelled or shipped one has it replaced."""
    tracking = parse_tracking(carrier, number)
    now = runtime.clock()

    async def attach(conn: Conn) -> dict[str, Any]:
        repo = ShippingRepository(conn)
        order = await repo.order(order_id, lock=True)
        if order is None:
            raise OrderNotFound()
        status = OrderStatus(order["status"])
        if status in (OrderStatus.LABEL_CREATED, OrderStatus.SHIPPED):
            values = tracking.values(runtime.settings.tracking_url_template)
            await repo.update_order(order_id, {**values, "updated_at": now})
            note = f"tracking {tracking.carrier} {tracking.number}"
            await repo.add_event(order_id, status.value, note, now)
            updated = await repo.order(order_id)
            assert updated is not None
            shown = order_json(updated, await repo.order_items(order_id))
            # Same status, new tracking: the partner hears of it as of any change of its order.
            shipment = {**shown, "user_id": updated["user_id"]}
            await emit(
                conn, updated["partner_id"], EventType.SHIPMENT_STATUS_CHANGED, shipment, now
            )
            return shown
        if status not in (OrderStatus.QUEUED, OrderStatus.PROCESSING):
            raise IllegalOrderMove(f"order is {status.value}: it takes no tracking number")
        # Still being prepared: it moves to label_created with this label, in this transaction.
        label = OrderStatus.LABEL_CREATED
        return await _advance(conn, runtime, order, label, None, tracking, now)

    return await unit.write(attach)
