"""A pull's record: the purchase session, its pull rows and its ledger entry, written together
(on PostgreSQL in one statement of data-modifying CTEs, on SQLite in three), all or none."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clawvault.core.timeutil import as_utc, utcnow
from clawvault.db.engine import Database
from clawvault.db.models import Card, LedgerEntry, LedgerKind, Partner, Pull, PurchaseSession
from clawvault.ledger.repository import ledger_entry
from clawvault.pulls.repository import PullRepository
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner

NOW = datetime(2026, 11, 28, 4, 50, tzinfo=UTC)
Record = tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]


def _plain(row: Any) -> dict[str, Any]:
    """A stored row without its generated id, times in UTC (SQLite's come back naive)."""
    return {
        key: as_utc(value) if isinstance(value, datetime) else value
        for key, value in row.items()
        if key != "id" or isinstance(value, str)
    }


def _record(partner_id: int, pack_id: str, card_ids: list[str], session_id: str) -> Record:
    session = {
        "id": session_id,
        "partner_id": partner_id,
        "user_id": "ada",
        "pack_id": pack_id,
        "amount": len(card_ids),
        "price_cents": 3_000,
        "public_id": "pub-1",
        "tx_hash": "0xfeed",
        "odds_canonical": '{"odds":[]}',
        "created_at": NOW,
    }
    pulls = [
        {
            "session_id": session_id,
            "position": position,
            "card_id": card_id,
            "pack_id": pack_id,
            "partner_id": partner_id,
            "user_id": "ada",
            "tier_id": 1,
            "draw": 0.25 + position / 10,
            "seed_id": None,
            "nonce": None,
            "drawn_key": 1_000 + position,
            "card_key": 2_000 + position,
            "value_cents": 500 * (position + 1),
            "buyback_price_cents": 450 * (position + 1),
            "created_at": NOW,
        }
        for position, card_id in enumerate(card_ids)
    ]
    entry = ledger_entry(partner_id, LedgerKind.PULL, -3_000, session_id, "ada", NOW)
    return session, pulls, entry


def _with_a_record(
    settings: Settings, amount: int, check: Callable[[Database, Record], Awaitable[None]]
) -> None:
    """Runs `check` with the database and a record of `amount` cards of a new pack."""
    make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)

    async def main() -> None:
        db = Database(settings.database_url, settings)
        try:
            async with db.read() as conn:
                partner_id = (await conn.execute(select(Partner.id))).scalar_one()
                card_ids = list((await conn.execute(select(Card.id).limit(amount))).scalars())
            await check(db, _record(partner_id, pack_id, card_ids, "s-1"))
        finally:
            await db.dispose()

    asyncio.run(main())


@pytest.mark.parametrize("amount", [1, 3])
def test_the_session_its_pulls_and_its_entry_are_written_together(
    settings: Settings, amount: int
) -> None:
    async def check(db: Database, record: Record) -> None:
        session, pulls, entry = record
        async with db.write() as conn:
            await PullRepository(conn).record(session, pulls, entry)
        async with db.read() as conn:
            stored_session = (await conn.execute(select(PurchaseSession))).mappings().one()
            query = select(Pull).order_by(Pull.position)
            stored_pulls = (await conn.execute(query)).mappings().all()
            stored_entry = (await conn.execute(select(LedgerEntry))).mappings().one()
        assert _plain(stored_session) == session
        assert [_plain(p) for p in stored_pulls] == pulls
        assert _plain(stored_entry) == entry

    _with_a_record(settings, amount, check)


def test_a_record_that_fails_writes_none_of_it(settings: Settings) -> None:
    async def check(db: Database, record: Record) -> None:
        session, pulls, entry = record
        pulls[1]["position"] = 0  # two rows at one position of the session: unique
        with pytest.raises(IntegrityError):
            async with db.write() as conn:
                await PullRepository(conn).record(session, pulls, entry)
        async with db.read() as conn:
            for table in (PurchaseSession, Pull, LedgerEntry):
                assert (await conn.execute(select(table))).first() is None

    _with_a_record(settings, 2, check)
