"""The sellback's second way: PostgreSQL, a whole sellback in one statement in autocommit, when
nothing must commit with it (`bench/second_ways.py` measured it at 1.66x the sellback in a
transaction). The statement, the function that runs it, and nothing else: the way every
sellback can take is `service.sell_in_transaction`, and both give the same rows and answers
(tests/buyback/test_sell_in_one.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    Table,
    bindparam,
    cast,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from clawvault.buyback.repository import (
    BUYBACK_REFERENCE,
    POOLED_VALUES,
    RowBusy,
    lock_not_available,
)
from clawvault.core.money import cents_to_number
from clawvault.core.runtime import Runtime
from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import unindexed
from clawvault.db.models import (
    Buyback,
    Card,
    CardStatus,
    Environment,
    LedgerEntry,
    LedgerKind,
    Pack,
)
from clawvault.db.unit import Unit
from clawvault.packs.domain import buyback_cents
from clawvault.partners.auth import Caller
from clawvault.pricing.domain import max_price_age
from clawvault.webhooks.repository import ENDPOINT_EXISTS


def _sell_in_one() -> Any:
    """PostgreSQL, a whole sellback in one statement (run in autocommit, it is its own
    transaction): the card, if a user of this partner holds it, its buyback window is open,
    its price is fresh (as of `fresh_since` or later) and the partner has no webhook endpoint
    in the environment (whose event would commit with it), locked NOWAIT (a sellback in
    flight: RowBusy), back to the pool at `new_pool_key`, the buyback row (the amount:
    packs.domain.buyback_cents) and its ledger entry. Returns the entry's reference and
    amount; nothing, and nothing written, when any condition fails: the caller settles in a
    transaction, which tells which.

    Parameters: card_id, partner_id, now, fresh_since, new_pool_key, endpoint_partner_id,
    endpoint_environment."""
    buybacks: Table = Buyback.__table__  # type: ignore[assignment]
    entries: Table = LedgerEntry.__table__  # type: ignore[assignment]
    now = bindparam("now", type_=buybacks.c.created_at.type)
    held = (
        select(
            Card.id,
            Card.owner_user_id,
            Card.pack_id,
            Card.session_id,
            Card.fmv_cents,
            Pack.buyback_bps,
            buyback_cents(cast(Card.fmv_cents, BigInteger), Pack.buyback_bps).label("amount_cents"),
        )
        .join(Pack, Pack.id == Card.pack_id)
        .where(
            Card.id == bindparam("card_id"),
            unindexed(Card.status) == CardStatus.HELD.value,
            unindexed(Card.owner_partner_id) == bindparam("partner_id"),
            or_(
                unindexed(Card.buyback_expires_at).is_(None),
                unindexed(Card.buyback_expires_at) > now,
            ),
            unindexed(Card.fmv_as_of) >= bindparam("fresh_since"),
            ~ENDPOINT_EXISTS.element,
        )
        .with_for_update(nowait=True, of=Card)
        .cte("held")
    )
    returned = (
        update(Card)
        .where(Card.id == held.c.id)
        .values(**POOLED_VALUES, updated_at=now)
        .returning(held.c.id)
        .cte("returned")
    )
    added = (
        insert(buybacks)
        .from_select(
            [
                "card_id",
                "partner_id",
                "user_id",
                "pack_id",
                "session_id",
                "fmv_cents",
                "buyback_bps",
                "amount_cents",
                "created_at",
            ],
            select(
                held.c.id,
                bindparam("partner_id", type_=buybacks.c.partner_id.type),
                held.c.owner_user_id,
                held.c.pack_id,
                held.c.session_id,
                held.c.fmv_cents,
                held.c.buyback_bps,
                held.c.amount_cents,
                now,
            ).where(held.c.id == returned.c.id),
        )
        .returning(
            buybacks.c.id, buybacks.c.partner_id, buybacks.c.amount_cents, buybacks.c.user_id
        )
        .cte("added")
    )
    entry = select(
        added.c.partner_id,
        literal(LedgerKind.BUYBACK.value, String),
        added.c.amount_cents,
        literal(BUYBACK_REFERENCE, String) + cast(added.c.id, String),
        added.c.user_id,
        now,
    )
    entry_columns = ["partner_id", "kind", "amount_cents", "reference", "user_id", "created_at"]
    return (
        insert(entries)
        .from_select(entry_columns, entry)
        .add_cte(held)
        .add_cte(returned)
        .add_cte(added)
        .returning(entries.c.reference, entries.c.amount_cents)
    )


SELL_IN_ONE = _sell_in_one()
# No price is too old (pricing.domain.max_price_age None): every fmv_as_of is at or after it.
ANY_AGE = datetime(1, 1, 2, tzinfo=UTC)


async def sell_in_one(
    runtime: Runtime, unit: Unit, caller: Caller, item_id: str, now: datetime
) -> dict[str, Any] | None:
    """SELL_IN_ONE in the unit's autocommit (one round trip). The answer; None when it did not
    sell (SQLite; an idempotency record to commit with it; a card not held by this partner's
    user, past its window, at a stale price, of a partner with endpoints): the sellback is
    settled in a transaction, which tells why."""
    max_age = max_price_age(runtime.settings.price_max_age_hours)
    pool_key = runtime.randomness.pool_key()
    sold = await unit.one_statement(
        lambda conn: sell_statement(conn, item_id, caller.partner_id, now, max_age, pool_key)
    )
    return (
        None if sold is None else {"success": True, "amount": cents_to_number(sold["amount_cents"])}
    )


async def sell_statement(
    conn: Conn,
    card_id: str,
    partner_id: int,
    now: datetime,
    max_age: timedelta | None,
    pool_key: int,
) -> lean.Row | None:
    """SELL_IN_ONE on `conn` (in autocommit): the entry's reference and the amount credited;
    None when nothing was written; RowBusy when another transaction holds the card."""
    params = {
        "card_id": card_id,
        "partner_id": partner_id,
        "now": now,
        "fresh_since": ANY_AGE if max_age is None else now - max_age,
        "new_pool_key": pool_key,
        "endpoint_partner_id": partner_id,
        "endpoint_environment": Environment.PRODUCTION.value,
    }
    try:
        return (await lean.execute(conn, SELL_IN_ONE, params)).first()
    except DBAPIError as exc:
        if lock_not_available(exc):
            raise RowBusy() from exc
        raise
