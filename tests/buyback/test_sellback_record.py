"""A sellback's record: the card back in the pool, the buyback row and the partner's credit,
written together (on PostgreSQL in one statement of data-modifying CTEs, on SQLite in three),
or nothing when the card is not held by the session named."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from clawvault.buyback.repository import BuybackRepository
from clawvault.core.timeutil import as_utc
from clawvault.db.engine import Database
from clawvault.db.models import Buyback, Card, CardStatus, LedgerEntry, Partner
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner

NOW = datetime(2026, 11, 28, 5, 30, tzinfo=UTC)


def _settle(
    settings: Settings, client: TestClient, clock: FakeClock, session_of: str | None
) -> dict[str, Any]:
    """Pulls a card, then settles it naming `session_of` (None: the session that holds it).
    Returns what settle answered and what the database holds afterwards."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    pulled = client.post(
        "/api/v1/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 1, "user_id": "ada"},
    ).json()
    card_id = pulled["nfts"][0]["id"]

    async def main() -> dict[str, Any]:
        db = Database(settings.database_url, settings)
        try:
            async with db.read() as conn:
                partner_id = (await conn.execute(select(Partner.id))).scalar_one()
            buyback = {
                "card_id": card_id,
                "partner_id": partner_id,
                "user_id": "ada",
                "pack_id": pack_id,
                "session_id": pulled["session_id"],
                "fmv_cents": 1_234,
                "buyback_bps": 9_000,
                "amount_cents": 1_111,
                "created_at": NOW,
            }
            async with db.write() as conn:
                answer = await BuybackRepository(conn).settle(
                    session_of or pulled["session_id"], 777, buyback
                )
            async with db.read() as conn:
                card = (await conn.execute(select(Card).where(Card.id == card_id))).mappings()
                buybacks = (await conn.execute(select(Buyback))).mappings().all()
                credits = (
                    (await conn.execute(select(LedgerEntry).where(LedgerEntry.kind == "buyback")))
                    .mappings()
                    .all()
                )
                return {
                    "answer": answer,
                    "card": dict(card.one()),
                    "buybacks": [dict(b) for b in buybacks],
                    "credits": [dict(c) for c in credits],
                    "given": buyback,
                }
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_the_card_the_buyback_and_the_credit_are_written_together(
    settings: Settings, client: TestClient, clock: FakeClock
) -> None:
    got = _settle(settings, client, clock, None)
    (buyback,) = got["buybacks"]
    assert got["answer"] == f"buyback_{buyback['id']}"
    stored = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in buyback.items()}
    assert {k: v for k, v in stored.items() if k != "id"} == got["given"]
    (credit,) = got["credits"]
    assert credit["reference"] == got["answer"]
    assert (credit["partner_id"], credit["amount_cents"], credit["user_id"]) == (
        got["given"]["partner_id"],
        1_111,
        "ada",
    )
    assert as_utc(credit["created_at"]) == NOW
    card = got["card"]
    assert card["status"] == CardStatus.AVAILABLE.value
    assert (card["pool_key"], card["owner_partner_id"], card["session_id"]) == (777, None, None)


def test_a_card_not_held_by_the_session_named_writes_nothing(
    settings: Settings, client: TestClient, clock: FakeClock
) -> None:
    got = _settle(settings, client, clock, "another-session")
    assert got["answer"] is None
    assert got["buybacks"] == [] and got["credits"] == []
    assert got["card"]["status"] == CardStatus.HELD.value
