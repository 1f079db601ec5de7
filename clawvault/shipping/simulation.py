"""Simulated fulfilment, for demos and staging: each open order moves one step along
queued → processing → label_created → shipped → delivered once it has waited the configured
time in its status, as a warehouse and a carrier would move it. Every process may run it: each
turn is claimed in the database (jobs), and each move is the operator's `advance_order`, which
locks the order and checks the transition (an order an operator moved meanwhile is left alone),
in a unit of work of its own: one move that fails leaves the others made."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import RowMapping

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.jobs.service import run_if_due, run_periodically
from clawvault.shipping.domain import next_status
from clawvault.shipping.errors import IllegalOrderMove, OrderNotFound
from clawvault.shipping.repository import ShippingRepository
from clawvault.shipping.service import advance_order

log = logging.getLogger("clawvault.shipping")
JOB = "fulfilment-simulation"
BATCH = 200
NOTE = "simulated fulfilment"


def _interval(runtime: Runtime) -> float:
    # Often enough that no order waits much longer than its step.
    return max(1.0, min(60.0, runtime.settings.fulfilment_simulation_minutes * 60 / 4))


async def simulate_turn(runtime: Runtime, _turn: int = 0) -> int:
    """Moves every order that has waited a step in its status; returns how many moved."""
    waited_since = runtime.clock() - timedelta(
        minutes=runtime.settings.fulfilment_simulation_minutes
    )

    async def waiting(conn: Conn) -> Sequence[RowMapping]:
        return await ShippingRepository(conn).orders_waiting_since(waited_since, BATCH)

    due = await Unit(runtime.db).read(waiting)
    moved = 0
    for order in due:
        target = next_status(order["status"])
        if target is None:
            continue
        try:
            await advance_order(runtime, Unit(runtime.db), order["id"], target, NOTE)
        except (IllegalOrderMove, OrderNotFound):
            continue  # moved by someone else since it was listed
        moved += 1
    return moved


async def simulate_once(runtime: Runtime) -> bool:
    return await run_if_due(runtime, JOB, _interval(runtime), simulate_turn)


def start_fulfilment_simulation(runtime: Runtime) -> list[asyncio.Task[None]]:
    if runtime.settings.fulfilment_simulation_minutes <= 0:
        return []
    return [asyncio.create_task(run_periodically(runtime, JOB, _interval(runtime), simulate_turn))]
