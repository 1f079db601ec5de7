"""Sandbox shipping: the production address checks and rates; quotes that expire after 15
minutes of the key's clock; orders that stay `queued` until a sandbox control moves them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.errors import ApiError
from clawvault.core.ids import new_order_id, split_rate_id
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.models import OrderStatus
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.sandbox.catalog_repository import CatalogRepository
from clawvault.sandbox.context import SandboxTx, sandbox_read, sandbox_write
from clawvault.sandbox.domain import QUOTE_TTL, country_supported, shipping_zone
from clawvault.sandbox.errors import SandboxShippingRequestFailed
from clawvault.sandbox.events import announce
from clawvault.sandbox.models import SandboxItemStatus
from clawvault.shipping.address import check_address
from clawvault.shipping.domain import new_quote, parse_item_ids
from clawvault.shipping.errors import (
    CountryNotSupported,
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
from clawvault.webhooks.domain import EventType

IN_ORDER = {SandboxItemStatus.SHIPPING.value, SandboxItemStatus.SHIPPED.value}


async def quote(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    item_ids = parse_item_ids(body.get("item_ids"))
    destination = body.get("destination")
    check = check_address(destination, any_country=True)
    if not check.ok:
        raise InvalidAddress(check.details(), check.normalized if check.fixable else None)
    assert isinstance(destination, dict)

    async def add(tx: SandboxTx) -> dict[str, Any]:
        holdings = await tx.repo.active_items(item_ids)
        if len(holdings) != len(item_ids):
            raise ItemNotFound()
        users = {h["user_id"] for h in holdings}
        if len(users) != 1:
            raise MixedUsers()
        shippable = [h for h in holdings if h["status"] == SandboxItemStatus.HELD.value]
        if not shippable:
            raise NoShippableItems()
        country = destination.get("country")
        if not country_supported(country):
            raise CountryNotSupported()
        assert isinstance(country, str)
        zone = shipping_zone(country, destination.get("state"))
        row, rates = new_quote(
            users.pop(), shippable, "card_id", destination, zone, tx.now, QUOTE_TTL
        )
        await tx.shipping.add_quote(row)
        return quote_json(row["id"], row["expires_at"], rates)

    return await sandbox_write(runtime, unit, caller, add, answers=True)


async def request(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    quote_id = body.get("quote_id")
    parts = split_rate_id(quote_id) if isinstance(quote_id, str) else None
    if parts is None:
        raise QuoteIdRequired()
    try:
        return await _request(runtime, unit, caller, *parts)
    except ApiError:
        raise
    except Exception as exc:  # sandbox ship/request errors are always 4xx (documented)
        raise SandboxShippingRequestFailed() from exc


async def _request(
    runtime: Runtime, unit: Unit, caller: Caller, session_id: str, rate_key: str
) -> dict[str, Any]:
    async def place(tx: SandboxTx) -> dict[str, Any]:
        stored = await tx.shipping.quote(session_id)
        if stored is None or tx.now >= as_utc(stored["expires_at"]):
            raise QuoteExpired()
        rate = next((r for r in stored["rates"] if r["key"] == rate_key), None)
        if rate is None:
            raise QuoteExpired()
        item_ids: list[str] = stored["item_ids"]
        holdings = await tx.repo.active_items(item_ids)
        if any(h["status"] in IN_ORDER for h in holdings):
            raise ItemAlreadyShipped()
        if len(holdings) != len(item_ids):
            raise ItemNotFound()
        order_id = new_order_id()
        moved = await tx.shipping.move_items_into_order(
            [h["id"] for h in holdings], stored["user_id"], order_id, tx.now
        )
        if moved != len(item_ids):
            raise ItemNotFound()

        async def catalog(conn: Conn) -> dict[str, RowMapping]:
            return await CatalogRepository(conn).cards(item_ids)

        cards = await unit.read_catalog(catalog)
        await tx.shipping.add_order(
            {
                "id": order_id,
                "user_id": stored["user_id"],
                "quote_id": session_id,
                "rate_key": rate_key,
                "carrier": rate["carrier"],
                "service": rate["service"],
                "amount_cents": rate["amount_cents"],
                "destination": stored["destination"],
                "status": OrderStatus.QUEUED.value,
                "created_at": tx.now,
                "updated_at": tx.now,
            },
            [
                {
                    "order_id": order_id,
                    "card_id": card_id,
                    "name": cards[card_id]["name"],
                    "image": cards[card_id]["image"],
                    "back_image": cards[card_id]["back_image"],
                }
                for card_id in item_ids
            ],
        )
        return {**await _order(tx, order_id), "user_id": stored["user_id"]}

    shipment = await sandbox_write(runtime, unit, caller, place)
    await announce(runtime, caller, EventType.SHIPMENT_STATUS_CHANGED, shipment)
    return {"order_id": shipment["order_id"], "status": "success"}


async def get_order(runtime: Runtime, unit: Unit, caller: Caller, order_id: str) -> dict[str, Any]:
    async def find(tx: SandboxTx) -> dict[str, Any]:
        return await _order(tx, order_id)

    return await sandbox_read(runtime, unit, caller, find)


async def _order(tx: SandboxTx, order_id: str) -> dict[str, Any]:
    order = await tx.shipping.order(order_id)
    if order is None:
        raise OrderNotFound()
    return order_json(order, await tx.shipping.order_items(order_id))
