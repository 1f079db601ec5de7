"""The pull in one statement, as a pull's second way (see the package's docstring)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError

from clawvault.core.ids import new_session_id
from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.engine import is_retryable
from clawvault.db.unit import Unit
from clawvault.fairness.domain import DrawStream
from clawvault.packs.domain import buyback_expiry
from clawvault.partners.auth import Caller
from clawvault.pulls.domain import parse_amount
from clawvault.pulls.in_one import statement
from clawvault.pulls.in_one.rounds import pull_rounds
from clawvault.pulls.records import announce, charge_row, pulled_answer, session_row, terms


class NothingWritten(Exception):
    """The pull's one statement wrote nothing: its transaction rolls back (the cards the
    statement locked are let go) and the pull goes card by card."""


async def pull_in_one(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    pack_id: str,
    user_id: str,
    raw_amount: Any,
    now: datetime,
) -> dict[str, Any] | None:
    """PostgreSQL, a user who has a seed: the pack and the seed read (in a round shared with
    the other pulls in flight), the draws made from the seed's next nonces, then PULL_IN_ONE
    claims their cards and writes everything, or nothing. In autocommit (two round trips, no
    BEGIN, no COMMIT) when nothing else must commit with the pull; in the unit's write
    transaction with what must (the request's idempotency record, the pull.fulfilled event of
    a partner with endpoints). None when the pull goes card by card instead: a user without a
    seed yet, or a statement that wrote nothing (the seed moved on, two draws met the same
    card, a draw's cards were all locked or none was at or after its key) or was a deadlock's
    victim. The pack's refusals are raised as `_buy` raises them."""
    environment = caller.environment.value
    found, seed = await pull_rounds(unit.db).pack_and_seed(
        pack_id, caller.partner_id, environment, user_id
    )
    pack, amount, table = terms(found, parse_amount(raw_amount), raw_amount)
    if seed is None:
        return None
    session_id = new_session_id()
    draws = DrawStream(seed, seed["next_nonce"])
    drawn = []
    for draw in (draws.next() for _ in range(amount)):
        tier = table.draw(draw.u)
        drawn.append(
            {"tier_id": tier.tier_id, "key": draw.key, "unit": draw.u, "nonce": draw.nonce}
        )
    holder = {
        "partner_id": caller.partner_id,
        "user_id": user_id,
        "session_id": session_id,
        "now": now,
        "expires_at": buyback_expiry(now, pack.buyback_window_seconds),
    }

    async def pull(conn: Conn) -> list[dict[str, Any]] | None:
        return await statement.run(
            conn,
            pack_id,
            drawn,
            seed,
            pack.buyback_bps,
            holder,
            session_row(session_id, caller, user_id, pack_id, pack, amount, now),
            charge_row(session_id, caller, user_id, pack, amount, now),
        )

    if unit.autocommits() and not pack.has_endpoints:
        cards = await unit.one_statement(pull)
        return None if cards is None else pulled_answer(session_id, pack, cards)

    async def with_what_commits_with_it(conn: Conn) -> dict[str, Any]:
        cards = await pull(conn)
        if cards is None:
            raise NothingWritten()
        answer = pulled_answer(session_id, pack, cards)
        await announce(conn, caller, user_id, pack_id, amount, pack, answer, now)
        return answer

    # Rolled back, this write was not the unit's commit: the pull card by card is, instead.
    try:
        return await unit.write(with_what_commits_with_it, attempts=1, answers=True)
    except NothingWritten:
        return None
    except DBAPIError as exc:
        if is_retryable(exc):
            return None  # rolled back: card by card, from the start
        raise
