"""A sandbox unit of work: one transaction on the sandbox store, scoped to the caller's
sandbox key, with that key's clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.engine import Database
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
from clawvault.partners.auth import Caller
from clawvault.sandbox.domain import sandbox_now
from clawvault.sandbox.errors import SandboxStateUnavailable
from clawvault.sandbox.fairness_repository import SandboxFairnessRepository
from clawvault.sandbox.repository import SandboxRepository
from clawvault.sandbox.shipping_repository import SandboxShippingRepository

T = TypeVar("T")


@dataclass
class SandboxTx:
    conn: Conn
    key_id: int
    now: datetime

    @property
    def repo(self) -> SandboxRepository:
        return SandboxRepository(self.conn, self.key_id)

    @property
    def fairness(self) -> SandboxFairnessRepository:
        return SandboxFairnessRepository(self.conn, self.key_id)

    @property
    def shipping(self) -> SandboxShippingRepository:
        return SandboxShippingRepository(self.conn, self.key_id)


def sandbox_key(caller: Caller) -> int:
    if caller.environment is not Environment.SANDBOX or caller.key_id is None:
        raise SandboxStateUnavailable()
    return caller.key_id


def sandbox_store(runtime: Runtime) -> Database:
    if runtime.sandbox_db is None:
        raise SandboxStateUnavailable()
    return runtime.sandbox_db


async def sandbox_write(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    work: Callable[[SandboxTx], Awaitable[T]],
    *,
    answers: bool = False,
) -> T:
    """`work` in the request's write transaction on the sandbox store (the unit's), scoped to
    the caller's sandbox key, at that key's clock."""
    key_id = sandbox_key(caller)

    async def scoped(conn: Conn) -> T:
        return await work(await _tx(conn, key_id, runtime))

    return await unit.write(scoped, answers=answers)


async def sandbox_read(
    runtime: Runtime, unit: Unit, caller: Caller, work: Callable[[SandboxTx], Awaitable[T]]
) -> T:
    """`work` in a read transaction on the sandbox store, as `sandbox_write`."""
    key_id = sandbox_key(caller)

    async def scoped(conn: Conn) -> T:
        return await work(await _tx(conn, key_id, runtime))

    return await unit.read(scoped)


async def _tx(conn: Conn, key_id: int, runtime: Runtime) -> SandboxTx:
    offset = await SandboxRepository(conn, key_id).clock_offset()
    return SandboxTx(conn, key_id, sandbox_now(runtime.clock(), offset))
