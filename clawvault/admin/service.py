"""The admin API's partner and key operations, and request bodies holding one or many rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping

from clawvault.catalog.errors import CatalogNotFound, ImportRejected, RowError
from clawvault.catalog.records import Record
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import isoformat
from clawvault.db.conn import Conn
from clawvault.db.models import Environment, OrderStatus
from clawvault.db.unit import Unit
from clawvault.partners import service as partners
from clawvault.partners.repository import PartnerAdminRepository
from clawvault.shipping import service as shipping
from clawvault.shipping.errors import InvalidOrderRequest

ORDER_TARGETS = [s.value for s in OrderStatus if s is not OrderStatus.QUEUED]


def body_records(body: Any, kind: str) -> list[Record]:
    """One object, a list of objects, or {kind: [objects]}: rows numbered from 1."""
    if isinstance(body, dict) and isinstance(body.get(kind), list):
        body = body[kind]
    if isinstance(body, dict):
        return [(1, body)]
    if isinstance(body, list) and body:
        return list(enumerate(body, start=1))
    raise ImportRejected([RowError(0, f"send one object, a list, or {{{kind!r}: [...]}}")])


async def list_partners(runtime: Runtime, unit: Unit) -> list[dict[str, Any]]:
    async def read(conn: Conn) -> list[dict[str, Any]]:
        repo = PartnerAdminRepository(conn)
        result = []
        for partner in await repo.partners():
            keys = await repo.keys(partner["id"])
            result.append(
                {
                    "id": partner["id"],
                    "name": partner["name"],
                    "created_at": isoformat(partner["created_at"]),
                    "active_keys": sum(1 for k in keys if k["revoked_at"] is None),
                }
            )
        return result

    return await unit.read(read)


async def create_partner(runtime: Runtime, unit: Unit, name: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ImportRejected([RowError(1, "name is required (at most 200 characters)")])
    partner_id = await partners.create_partner(unit, name.strip())
    return {"id": partner_id, "name": name.strip()}


async def create_key(runtime: Runtime, unit: Unit, name: str, sandbox: Any) -> dict[str, Any]:
    """The new key in plain text: the only time it is shown."""
    if not isinstance(sandbox, bool):
        raise ImportRejected([RowError(1, "sandbox must be true or false")])
    environment = Environment.SANDBOX if sandbox else Environment.PRODUCTION
    await partners.partner_id(unit, name)
    key = await partners.create_key(unit, name, environment)
    return {"partner": name, "environment": environment.value, "key": key}


async def list_keys(runtime: Runtime, unit: Unit, name: str) -> list[dict[str, Any]]:
    partner_id = await partners.partner_id(unit, name)

    async def read(conn: Conn) -> Sequence[RowMapping]:
        return await PartnerAdminRepository(conn).keys(partner_id)

    return [_key_json(k) for k in await unit.read(read)]


def _key_json(key: Any) -> dict[str, Any]:
    return {
        "id": key["id"],
        "prefix": key["key_prefix"],
        "environment": key["environment"],
        "created_at": isoformat(key["created_at"]),
        "revoked_at": isoformat(key["revoked_at"]),
    }


async def revoke_key(runtime: Runtime, unit: Unit, key_id: int) -> dict[str, Any]:
    async def work(conn: Conn) -> RowMapping | None:
        return await PartnerAdminRepository(conn).revoke_key(key_id, runtime.clock())

    key = await unit.write(work, attempts=1)
    if key is None:
        raise CatalogNotFound("Key not found")
    return {"id": key_id, "revoked_at": isoformat(key["revoked_at"])}


def order_target(value: Any) -> OrderStatus:
    if not isinstance(value, str) or value not in ORDER_TARGETS:
        raise InvalidOrderRequest(f"to must be one of {', '.join(ORDER_TARGETS)}")
    return OrderStatus(value)


def order_note(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise InvalidOrderRequest("note must be text of at most 500 characters")
    return value.strip() or None


async def advance_order(
    runtime: Runtime, unit: Unit, order_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Moves an order forward (through every step between), or cancels/fails it with a reason
    (its cards go back to the user's inventory and the fee back to the partner)."""
    target = order_target(body.get("to"))
    return await shipping.advance_order(
        runtime, unit, order_id, target, order_note(body.get("note"))
    )


async def attach_tracking(
    runtime: Runtime, unit: Unit, order_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    return await shipping.attach_tracking(
        runtime, unit, order_id, body.get("carrier"), body.get("tracking_number")
    )
