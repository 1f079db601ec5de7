"""All SQL of a sellback."""

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

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres, unindexed
from clawvault.db.models import (
    Buyback,
    Card,
    CardStatus,
    Environment,
    LedgerEntry,
    LedgerKind,
    Pack,
)
from clawvault.db.params import typed_params
from clawvault.ledger.repository import LedgerRepository, ledger_entry
from clawvault.packs.domain import buyback_cents
from clawvault.webhooks.repository import ENDPOINT_EXISTS


class RowBusy(Exception):
    """Another transaction holds the row."""


# Built once (a sellback runs each of them): building and cache-keying a statement per call
# cost more CPU than running it.
HELD_CARD = (
    select(
        Card.id,
        Card.pack_id,
        Card.status,
        Card.owner_partner_id,
        Card.owner_user_id,
        Card.session_id,
        Card.fmv_cents,
        Card.fmv_as_of,
        Card.buyback_expires_at,
        Pack.buyback_bps,
        ENDPOINT_EXISTS,
    )
    .join(Pack, Pack.id == Card.pack_id)
    .where(
        Card.id == bindparam("card_id"),
        unindexed(Card.status) == CardStatus.HELD.value,
        unindexed(Card.owner_partner_id) == bindparam("partner_id"),
    )
)
HELD_CARD_LOCKED = HELD_CARD.with_for_update(nowait=True, of=Card)
IS_HELD_BY = select(Card.id).where(
    Card.id == bindparam("card_id"),
    unindexed(Card.status) == CardStatus.HELD.value,
    unindexed(Card.owner_partner_id) == bindparam("partner_id"),
)
# A card back in the pool, at `new_pool_key`: no holder, no session, no window.
POOLED_VALUES: dict[str, Any] = {
    "status": CardStatus.AVAILABLE.value,
    "owner_partner_id": None,
    "owner_user_id": None,
    "session_id": None,
    "purchased_at": None,
    "buyback_expires_at": None,
    "pool_key": bindparam("new_pool_key"),
}
RETURN_TO_POOL = (
    update(Card)
    .where(
        Card.id == bindparam("card_id"),
        unindexed(Card.status) == CardStatus.HELD.value,
        unindexed(Card.session_id) == bindparam("held_session_id"),
    )
    .values(**POOLED_VALUES, updated_at=bindparam("now"))
)
ADD_BUYBACK = insert(Buyback.__table__).returning(Buyback.id)  # type: ignore[arg-type]
BUYBACK_REFERENCE = "buyback_"  # a sellback's ledger reference: this and the buyback's id


def _settle_in_one() -> Any:
    """PostgreSQL: the card back to the pool, the buyback row and its ledger entry in one
    statement (data-modifying CTEs, each fed by the one before: a card not returned adds
    nothing). Parameters: RETURN_TO_POOL's, b_<buyback column>. Returns the entry's reference."""
    buybacks: Table = Buyback.__table__  # type: ignore[assignment]
    entries: Table = LedgerEntry.__table__  # type: ignore[assignment]

    returned = RETURN_TO_POOL.returning(Card.id).cte("returned")
    columns = [c.name for c in buybacks.columns if c.name != "id"]
    value = typed_params(buybacks, "b_", columns)
    added = (
        insert(buybacks)
        .from_select(columns, select(*value.values()).select_from(returned))
        .returning(buybacks.c.id)
        .cte("added")
    )
    entry = select(
        value["partner_id"],
        literal(LedgerKind.BUYBACK.value, String),
        value["amount_cents"],
        literal(BUYBACK_REFERENCE, String) + cast(added.c.id, String),
        value["user_id"],
        value["created_at"],
    ).select_from(added)
    entry_columns = ["partner_id", "kind", "amount_cents", "reference", "user_id", "created_at"]
    return (
        insert(entries)
        .from_select(entry_columns, entry)
        .add_cte(returned)
        .add_cte(added)
        .returning(entries.c.reference)
    )


SETTLE = _settle_in_one()


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


def _lock_not_available(exc: DBAPIError) -> bool:
    """A NOWAIT lock that another transaction holds."""
    return "LockNotAvailable" in type(exc.orig).__name__ or "could not obtain lock" in str(exc.orig)


class BuybackRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def lock_held_card(self, card_id: str, partner_id: int) -> lean.Row | None:
        """The card, if a user of this partner holds it, with its pack's buyback terms (and
        whether the partner has a production webhook endpoint), locked
        for this transaction. PostgreSQL: NOWAIT, so a concurrent sellback learns at once that
        another one is in flight. Only rows that pass the filter are locked: another partner's
        card or a pooled one is simply not found (never a 429, and never locked by a stranger)."""
        query = HELD_CARD_LOCKED if is_postgres(self.conn) else HELD_CARD
        params = {
            "card_id": card_id,
            "partner_id": partner_id,
            "endpoint_partner_id": partner_id,
            "endpoint_environment": Environment.PRODUCTION.value,
        }
        try:
            return (await lean.execute(self.conn, query, params)).first()
        except DBAPIError as exc:
            if _lock_not_available(exc):
                raise RowBusy() from exc
            raise

    async def sell_in_one(
        self, card_id: str, partner_id: int, now: datetime, max_age: timedelta | None, pool_key: int
    ) -> lean.Row | None:
        """PostgreSQL, on a connection in autocommit: SELL_IN_ONE. The entry's reference and
        the amount credited; None when nothing was written (settle in a transaction, which
        tells why); RowBusy when another transaction holds the card."""
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
            return (await lean.execute(self.conn, SELL_IN_ONE, params)).first()
        except DBAPIError as exc:
            if _lock_not_available(exc):
                raise RowBusy() from exc
            raise

    async def is_held_by(self, card_id: str, partner_id: int) -> bool:
        params = {"card_id": card_id, "partner_id": partner_id}
        return (await self.conn.execute(IS_HELD_BY, params)).first() is not None

    async def settle(
        self, held_session_id: str, pool_key: int, buyback: dict[str, Any]
    ) -> str | None:
        """Returns the card of `buyback` (held by `held_session_id`) to the pool at `pool_key`,
        records the buyback and its ledger entry (the partner is credited `amount_cents`).
        Returns the entry's reference; None (nothing written) when the card was not held so.
        PostgreSQL: one statement; SQLite (no round trips): three."""
        params = {
            "card_id": buyback["card_id"],
            "held_session_id": held_session_id,
            "new_pool_key": pool_key,
            "now": buyback["created_at"],
        }
        if is_postgres(self.conn):
            params.update({f"b_{key}": value for key, value in buyback.items()})
            row = (await lean.execute(self.conn, SETTLE, params)).first()
            return None if row is None else str(row["reference"])
        if (await lean.execute(self.conn, RETURN_TO_POOL, params)).rowcount != 1:
            return None
        (added,) = (await lean.execute(self.conn, ADD_BUYBACK, buyback)).rows
        reference = f"{BUYBACK_REFERENCE}{added['id']}"
        entry = ledger_entry(
            buyback["partner_id"],
            LedgerKind.BUYBACK,
            buyback["amount_cents"],
            reference,
            buyback["user_id"],
            buyback["created_at"],
        )
        await LedgerRepository(self.conn).add(entry)
        return reference
