"""The statements of a pull, built once and run with parameters: the pack's terms and stock, the
claims of cards from a pool, the session, its pulls and the charge (building and cache-keying a
statement per call cost more CPU than running it)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Executable,
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    select,
    true,
    update,
)

from clawvault.db.dialect import unindexed
from clawvault.db.models import (
    Card,
    CardStatus,
    LedgerEntry,
    Pack,
    PackTier,
    Pull,
    PurchaseSession,
    is_available,
)
from clawvault.db.params import typed_params
from clawvault.inventory.repository import CARD_ITEM_COLUMNS
from clawvault.packs.repository import TIER_HAS_STOCK
from clawvault.webhooks.repository import endpoint_exists

CLAIMED_COLUMNS = (*CARD_ITEM_COLUMNS, Card.purchased_at, Card.buyback_expires_at, Card.pool_key)

# The write path's statements are built once and executed with parameters: building and
# cache-keying a statement per call cost more CPU than running it.


def pack_for_pull(pack_id: Any, partner_id: Any, environment: Any) -> Select[*tuple[Any, ...]]:
    """The pack's terms, its tiers, and whether each tier has an available card (locked or not:
    the honest-odds rule), in one statement; and whether the partner has a webhook endpoint in
    the environment. A pack without tiers gives one row of NULL tier columns. Of parameters, or
    of the columns of a round's asks (PullRounds)."""
    return (
        select(
            Pack.slug,
            Pack.enable,
            Pack.max_per_mint,
            Pack.mint_price_cents,
            Pack.buyback_bps,
            Pack.buyback_window_seconds,
            PackTier.tier_id,
            PackTier.name.label("tier_name"),
            PackTier.color,
            PackTier.lower_cents,
            PackTier.upper_cents,
            PackTier.weight,
            TIER_HAS_STOCK.label("in_stock"),
            endpoint_exists(partner_id, environment),
        )
        .select_from(Pack)
        .outerjoin(PackTier, PackTier.pack_id == Pack.id)
        .where(Pack.id == pack_id)
        .order_by(PackTier.tier_id)
    )


PACK_FOR_PULL = pack_for_pull(
    bindparam("pack_id"), bindparam("endpoint_partner_id"), bindparam("endpoint_environment")
)


# An available card of the tier (parameters in_pack_id, in_tier_id: names no column has, as
# the claim's UPDATE also binds its new values).
AVAILABLE_IN_TIER = select(Card.id).where(
    Card.pack_id == bindparam("in_pack_id"),
    is_available(),
    Card.tier_id == bindparam("in_tier_id"),
)


def _claim_statement(*, lock: bool, skip_locked: bool) -> Update:
    candidate = (
        AVAILABLE_IN_TIER.where(Card.pool_key >= bindparam("lower_bound"))
        .order_by(Card.pool_key)
        .limit(1)
    )
    if lock:
        candidate = candidate.with_for_update(skip_locked=skip_locked)
    return (
        update(Card)
        .where(
            Card.id == candidate.scalar_subquery(),
            unindexed(Card.status) == CardStatus.AVAILABLE.value,
        )
        .values(HELD_VALUES)
        .returning(*CLAIMED_COLUMNS)
    )


# The new holder's columns, as the claims set them.
HELD_VALUES = {
    "status": CardStatus.HELD.value,
    "owner_partner_id": bindparam("new_partner_id"),
    "owner_user_id": bindparam("new_user_id"),
    "session_id": bindparam("new_session_id"),
    "purchased_at": bindparam("now"),
    "buyback_expires_at": bindparam("expires_at"),
    "updated_at": bindparam("now"),
}


def picked_card(draws: Any, candidate: Any) -> tuple[Any, Any]:
    """The CTEs of every draw's candidate card (draw_position, id) and of whether the draws
    found `amount` different cards (ok)."""
    picked = (
        select(draws.c.draw_position, candidate.c.id)
        .select_from(draws.join(candidate, true()))
        .cte("picked")
    )
    all_different = select(
        (func.count(picked.c.id.distinct()) == bindparam("amount")).label("ok")
    ).cte("all_different")
    return picked, all_different


CLAIM = _claim_statement(lock=False, skip_locked=False)
CLAIM_SKIP_LOCKED = _claim_statement(lock=True, skip_locked=True)
CLAIM_WAITING = _claim_statement(lock=True, skip_locked=False)
HAS_AVAILABLE = AVAILABLE_IN_TIER.limit(1)
ADD_SESSION = insert(PurchaseSession.__table__)  # type: ignore[arg-type]  # Core: no ORM step
ADD_PULLS = insert(Pull.__table__)  # type: ignore[arg-type]


Keys = tuple[str, ...]


SESSION_KEYS: Keys = (
    "id",
    "partner_id",
    "user_id",
    "pack_id",
    "amount",
    "price_cents",
    "public_id",
    "tx_hash",
    "odds_canonical",
    "created_at",
)
ENTRY_KEYS: Keys = ("partner_id", "kind", "amount_cents", "reference", "user_id", "created_at")


@cache
def record_in_one(session_keys: Keys, pull_keys: Keys, rows: int, entry_keys: Keys) -> Executable:
    """PostgreSQL: the session, its pull rows and the ledger entry in one statement (two
    data-modifying CTEs and the entry's INSERT): one round trip instead of three. Parameters
    s_<column>, p<row>_<column>, e_<column>. The pull rows' session is checked at the end of
    the statement, when the session row is there."""

    sessions: Table = PurchaseSession.__table__  # type: ignore[assignment]
    pulls: Table = Pull.__table__  # type: ignore[assignment]
    entries: Table = LedgerEntry.__table__  # type: ignore[assignment]
    new_session = (
        insert(sessions).values(typed_params(sessions, "s_", session_keys)).cte("new_session")
    )
    new_pulls = (
        insert(pulls)
        .values([typed_params(pulls, f"p{row}_", pull_keys) for row in range(rows)])
        .cte("new_pulls")
    )
    return (
        insert(entries)
        .values(typed_params(entries, "e_", entry_keys))
        .add_cte(new_session)
        .add_cte(new_pulls)
    )
