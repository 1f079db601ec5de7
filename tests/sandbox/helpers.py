"""Small helpers of the sandbox tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from clawvault.core.runtime import Runtime
from clawvault.db.models import Base, Card, Environment
from clawvault.db.unit import Unit
from clawvault.partners.service import create_key
from clawvault.sandbox.models import SANDBOX_TABLES
from clawvault.settings import Settings
from tests.factories import ADDRESS, run

SB = "/_/api/v1"
API = "/api/v1"
CONTROL = "/_/control"


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def new_sandbox_key(settings: Settings, partner_name: str) -> str:
    async def work(runtime: Runtime) -> str:
        return await create_key(Unit(runtime.db), partner_name, Environment.SANDBOX)

    return run(settings, work)


def buy(
    client: TestClient, key: str, pack_id: str, amount: int = 1, user_id: str = "alice"
) -> dict[str, Any]:
    answer = client.post(
        f"{SB}/vm/buy/init",
        headers=headers(key),
        json={"id": pack_id, "amount": amount, "user_id": user_id},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def ship(
    client: TestClient, key: str, item_ids: list[str], destination: dict[str, Any] | None = None
) -> str:
    quote = client.post(
        f"{SB}/ship/quote",
        headers=headers(key),
        json={"item_ids": item_ids, "destination": destination or ADDRESS},
    )
    assert quote.status_code == 200, quote.text
    order = client.post(
        f"{SB}/ship/request",
        headers=headers(key),
        json={"quote_id": quote.json()["quotes"][0]["id"]},
    )
    assert order.status_code == 200, order.text
    order_id: str = order.json()["order_id"]
    return order_id


def inventory_ids(client: TestClient, key: str, user_id: str = "alice") -> set[str]:
    answer = client.get(f"{SB}/inventory/{user_id}", headers=headers(key))
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


def production_snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every production table, in primary-key order."""
    sandbox_names = {t.name for t in SANDBOX_TABLES}

    async def work(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
        snapshot = {}
        async with runtime.db.read() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name in sandbox_names:
                    continue
                query = select(table).order_by(*table.primary_key.columns)
                snapshot[table.name] = [tuple(row) for row in (await conn.execute(query)).all()]
        return snapshot

    return run(settings, work)


def sandbox_row_count(settings: Settings) -> int:
    async def work(runtime: Runtime) -> int:
        total = 0
        async with runtime.db.read() as conn:
            for table in SANDBOX_TABLES:
                total += (
                    await conn.execute(text(f"SELECT count(*) FROM {table.name}"))
                ).scalar_one()
        return total

    return run(settings, work)


def set_production_mint_addresses(settings: Settings, pack_id: str) -> None:
    async def work(runtime: Runtime) -> None:
        async with runtime.db.write() as conn:
            await conn.execute(
                update(Card).where(Card.pack_id == pack_id).values(mint_address="M1ntAddr3ss")
            )

    run(settings, work)
