"""Sandbox controls (/_/control/...): what a partner needs to reach every path its
production integration can meet, for its own sandbox key only."""

from __future__ import annotations

from typing import Any

from clawvault.buyback.errors import ItemNotFound
from clawvault.core.money import MAX_CENTS, number_to_cents
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.models import OrderStatus
from clawvault.db.unit import Unit
from clawvault.inventory.errors import CardNotFound
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox import holdings
from clawvault.sandbox.context import SandboxTx, sandbox_read, sandbox_write
from clawvault.sandbox.domain import FORCEABLE_ERRORS
from clawvault.sandbox.errors import IllegalSandboxOrderMove, InvalidControl
from clawvault.sandbox.events import announce
from clawvault.sandbox.models import SandboxItemStatus
from clawvault.shipping.domain import IllegalTransition, plan_move
from clawvault.shipping.errors import OrderNotFound
from clawvault.shipping.presenters import order_json
from clawvault.webhooks.domain import EventType

FMV_RANGE = f"fmv must be a number of USD from 0 to {MAX_CENTS // 100}"
SECONDS_PER = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
MAX_ADVANCE_SECONDS = 10 * 365 * 86400


async def reset(runtime: Runtime, unit: Unit, caller: Caller) -> dict[str, Any]:
    async def work(tx: SandboxTx) -> None:
        await tx.repo.reset()

    await sandbox_write(runtime, unit, caller, work)
    return {"reset": True}


async def clock(runtime: Runtime, unit: Unit, caller: Caller) -> dict[str, Any]:
    async def work(tx: SandboxTx) -> dict[str, Any]:
        offset = await tx.repo.clock_offset()
        return {"now": isoformat(tx.now), "offset_seconds": offset}

    return await sandbox_read(runtime, unit, caller, work)


def parse_advance(body: dict[str, Any]) -> float:
    unknown = set(body) - set(SECONDS_PER)
    if unknown or not body:
        raise InvalidControl("Give one or more of seconds, minutes, hours, days")
    total = 0.0
    for unit, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidControl(f"{unit} must be a number >= 0 (the clock only moves forward)")
        total += value * SECONDS_PER[unit]
    if total > MAX_ADVANCE_SECONDS:
        raise InvalidControl("The clock moves at most 10 years at a time")
    return total


async def advance_clock(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    seconds = parse_advance(body)

    async def work(tx: SandboxTx) -> None:
        await tx.repo.advance_clock(seconds)

    await sandbox_write(runtime, unit, caller, work)
    return await clock(runtime, unit, caller)


async def set_fmv(
    runtime: Runtime, unit: Unit, caller: Caller, card_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    fmv = body.get("fmv")
    if isinstance(fmv, bool) or not isinstance(fmv, int | float | str):
        raise InvalidControl(FMV_RANGE)
    try:
        cents = number_to_cents(fmv)
    except ValueError as exc:
        raise InvalidControl(FMV_RANGE) from exc
    if cents < 0:
        raise InvalidControl(FMV_RANGE)

    async def in_catalog(conn: Conn) -> bool:
        return await InventoryRepository(conn).card(card_id) is not None

    if not await unit.read_catalog(in_catalog):
        raise CardNotFound()

    async def work(tx: SandboxTx) -> None:
        await tx.repo.set_fmv(card_id, cents, tx.now)

    await sandbox_write(runtime, unit, caller, work)
    return await holdings.card(runtime, unit, caller, card_id)


async def force_sellback_error(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    item_id, error = body.get("item_id"), body.get("error")
    if not isinstance(error, str) or error not in FORCEABLE_ERRORS:
        raise InvalidControl("error must be one of " + ", ".join(FORCEABLE_ERRORS))
    if not isinstance(item_id, str) or not item_id:
        raise ItemNotFound()
    assert isinstance(error, str)

    async def work(tx: SandboxTx) -> None:
        found = await tx.repo.active_items([item_id])
        if not found or found[0]["status"] != SandboxItemStatus.HELD.value:
            raise ItemNotFound()
        await tx.repo.force_error(item_id, error, tx.now)

    await sandbox_write(runtime, unit, caller, work)
    answer = FORCEABLE_ERRORS[error]()
    return {"item_id": item_id, "next_sellback": {"status": answer.status_code, **answer.body()}}


async def advance_order(
    runtime: Runtime, unit: Unit, caller: Caller, order_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Moves an order as the operator would in production: forward through every step in
    between, or to cancelled/failed while it is still in the vault (its items go back to the
    user's inventory)."""
    try:
        target = OrderStatus(str(body.get("status")))
    except ValueError as exc:
        choices = ", ".join(s.value for s in OrderStatus if s is not OrderStatus.QUEUED)
        raise InvalidControl(f"status must be one of {choices}") from exc
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidControl("note must be a string")

    async def work(tx: SandboxTx) -> tuple[dict[str, Any], str]:
        order = await tx.shipping.order(order_id)
        if order is None:
            raise OrderNotFound()
        try:
            move = plan_move(
                order,
                target,
                tx.now,
                runtime.settings.tracking_url_template,
                note=note,
                stopped_by="a sandbox control",
            )
        except IllegalTransition as exc:
            raise IllegalSandboxOrderMove(str(exc)) from exc
        if move.ships:
            await tx.shipping.set_order_items_status(order_id, SandboxItemStatus.SHIPPED, tx.now)
        if move.releases:
            await tx.shipping.release_order_items(order_id, tx.now)
        await tx.shipping.update_order(order_id, move.values)
        order = await tx.shipping.order(order_id)
        assert order is not None
        return order_json(order, await tx.shipping.order_items(order_id)), order["user_id"]

    moved, user_id = await sandbox_write(runtime, unit, caller, work)
    shipment = {**moved, "user_id": user_id}
    await announce(runtime, caller, EventType.SHIPMENT_STATUS_CHANGED, shipment)
    return moved
