"""The pull: draw tiers by the pack's odds, claim distinct cards, record and charge, at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.ids import new_session_id
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc, isoformat
from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.fairness.service import draw_stream
from clawvault.inventory.presenters import card_metadata, item_json
from clawvault.inventory.repository import InventoryRepository
from clawvault.packs.domain import buyback_cents, buyback_expiry
from clawvault.packs.errors import PackNotFound
from clawvault.partners.auth import Caller
from clawvault.pulls.domain import parse_amount, parse_user_id
from clawvault.pulls.errors import (
    OutOfStock,
    TransactionFailed,
    UserIdRequired,
)
from clawvault.pulls.in_one.way import pull_in_one
from clawvault.pulls.records import announce, charge_row, pulled_answer, session_row, terms
from clawvault.pulls.repository import PullRepository

PULL_ATTEMPTS = 10
IMPATIENT_ATTEMPTS = 4


async def buy(runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """Two ways, chosen by what the pull can be. PostgreSQL, a user who has a seed: the whole
    pull in one statement (`pull_in_one`). Otherwise, or when that statement could not take
    every draw's card: the pull card by card in a transaction (`pull_card_by_card`), the only way on
    SQLite. Both give the same rows and answers (tests/pulls/test_pull_in_one.py). In a
    transaction, the answer is the unit's (`answers`): the idempotency record commits with it."""
    user_id = parse_user_id(body.get("user_id"))
    if user_id is None:
        raise UserIdRequired()
    pack_id = body.get("id")
    if not isinstance(pack_id, str) or not pack_id:
        raise PackNotFound()
    now = runtime.clock()
    raw_amount = body.get("amount")
    if unit.is_postgres:
        in_one = await pull_in_one(runtime, unit, caller, pack_id, user_id, raw_amount, now)
        if in_one is not None:
            return in_one
    return await pull_card_by_card(runtime, unit, caller, pack_id, user_id, raw_amount, now)


async def pull_card_by_card(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    pack_id: str,
    user_id: str,
    raw_amount: Any,
    now: datetime,
) -> dict[str, Any]:
    """The pull in the unit's write transaction, card by card (`_buy`)."""
    attempts = 0

    async def attempt(conn: Conn) -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        patient = attempts > IMPATIENT_ATTEMPTS
        return await _buy(conn, runtime, caller, pack_id, user_id, raw_amount, now, patient)

    # A pull that holds cards and finds the rest of a tier locked by pulls in flight rolls back
    # and runs again (TransientConflict) rather than wait while holding its cards; a deadlock
    # between patient pulls is resolved by PostgreSQL rolling one back, also run again.
    return await unit.write(attempt, attempts=PULL_ATTEMPTS + 1, inline=True, answers=True)


async def _buy(
    conn: Conn,
    runtime: Runtime,
    caller: Caller,
    pack_id: str,
    user_id: str,
    raw_amount: Any,
    now: datetime,
    patient: bool,
) -> dict[str, Any]:
    """One attempt of a pull, card by card, and its answer. Only the first card may wait for
    another pull's lock, unless `patient` (late attempts: a hot tail of a pool is still served,
    deadlocks being detected by the database and retried)."""
    pulls = PullRepository(conn)
    pack = await pulls.pack(pack_id, caller.partner_id, caller.environment.value)
    pack, amount, table = terms(pack, parse_amount(raw_amount), raw_amount)
    session_id = new_session_id()
    # The user row first: waiting on another request's new user happens before we hold cards.
    await InventoryRepository(conn).ensure_user(caller.partner_id, user_id, now)
    # Every draw comes from the user's committed seed (clawvault-fair-v1).
    draws = await draw_stream(conn, runtime, caller.partner_id, user_id, amount, now)
    drawn = [(draw, table.draw(draw.u)) for draw in (draws.next() for _ in range(amount))]
    holder: dict[str, Any] = {
        "partner_id": caller.partner_id,
        "user_id": user_id,
        "session_id": session_id,
        "now": now,
        "expires_at": buyback_expiry(now, pack.buyback_window_seconds),
    }
    cards: list[lean.Row] = []
    for position, (draw, tier) in enumerate(drawn):
        card = await pulls.claim_card(
            pack_id, tier.tier_id, draw.key, wait=position == 0 or patient, **holder
        )
        if card is None:
            raise OutOfStock()  # the whole request rolls back: all cards or none
        cards.append(card)
    pull_rows: list[dict[str, Any]] = []
    for position, ((draw, tier), card) in enumerate(zip(drawn, cards, strict=True)):
        pull_rows.append(
            {
                "session_id": session_id,
                "position": position,
                "card_id": card["id"],
                "pack_id": pack_id,
                "partner_id": caller.partner_id,
                "user_id": user_id,
                "tier_id": tier.tier_id,
                "draw": draw.u,
                "seed_id": draws.seed_id,
                "nonce": draw.nonce,
                "drawn_key": draw.key,
                "card_key": card["pool_key"],
                "value_cents": card["fmv_cents"],
                "buyback_price_cents": buyback_cents(card["fmv_cents"], pack.buyback_bps),
                "created_at": now,
            }
        )
    # The session, its pulls and the charge (the cards' session_id has no foreign key).
    await pulls.record(
        session_row(session_id, caller, user_id, pack_id, pack, amount, now),
        pull_rows,
        charge_row(session_id, caller, user_id, pack, amount, now),
    )
    answer = pulled_answer(session_id, pack, cards)
    await announce(conn, caller, user_id, pack_id, amount, pack, answer, now)
    return answer


async def status(
    runtime: Runtime, unit: Unit, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise TransactionFailed()

    async def read(conn: Conn) -> tuple[RowMapping, Sequence[RowMapping]]:
        pulls = PullRepository(conn)
        session = await pulls.session(session_id, caller.partner_id)
        if session is None:
            raise TransactionFailed()
        return session, await pulls.session_items(session_id)

    session, rows = await unit.read(read)
    items = []
    for row in rows:
        item = dict(row)
        if row["holding_session_id"] != session_id:  # the card has changed hands since
            pulled_at = as_utc(row["pulled_at"])
            item["purchased_at"] = pulled_at
            item["buyback_expires_at"] = buyback_expiry(pulled_at, row["buyback_window_seconds"])
        items.append(item_json(item))  # type: ignore[arg-type]
    return {
        "result": {
            "session_id": session_id,
            "user_id": session["user_id"],
            "public_id": session["public_id"],
            "nfts": items,
            "tx_hash": session["tx_hash"],
        }
    }


def parse_limit(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(1, min(100, value))


async def recent_pulls(
    runtime: Runtime, unit: Unit, caller: Caller, pack_ids: list[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Every partner's pulls, newest first: the feed of a claw machine's recent wins."""

    async def read(conn: Conn) -> Sequence[RowMapping]:
        return await PullRepository(conn).recent(pack_ids, limit)

    rows = await unit.read(read)
    return [
        {
            "id": row["card_id"],
            "claw_id": row["pack_id"],
            "claw_slug": row["slug"],
            "value": cents_to_number(row["value_cents"]),
            "buyback_price": cents_to_number(row["buyback_price_cents"]),
            "created_at": isoformat(row["created_at"]),
            "metadata": card_metadata(row),
        }
        for row in rows
    ]
