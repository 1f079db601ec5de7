"""All SQL of a sellback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    String,
    Table,
    bindparam,
    cast,
    insert,
    literal,
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


def lock_not_available(exc: DBAPIError) -> bool:
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
            if lock_not_available(exc):
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
