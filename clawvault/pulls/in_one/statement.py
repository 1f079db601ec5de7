"""PostgreSQL: a whole pull of a user who has a seed, as one statement (PULL_IN_ONE), and the
function that runs it (`run`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    Float,
    Integer,
    Table,
    bindparam,
    func,
    insert,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import unindexed
from clawvault.db.models import (
    Card,
    CardStatus,
    FairnessSeed,
    LedgerEntry,
    Pull,
    PurchaseSession,
    User,
    is_available,
)
from clawvault.db.params import typed_params
from clawvault.packs.domain import buyback_cents
from clawvault.pulls.statements import (
    CLAIMED_COLUMNS,
    ENTRY_KEYS,
    HELD_VALUES,
    SESSION_KEYS,
    picked_card,
)


def _pull_in_one_statement() -> Executable:
    """PostgreSQL, a whole pull of a user who has a seed in one statement (in autocommit it is
    its own transaction): each draw's card the first available of its tier at or after its key
    (past the tier's last card, its first), skipping cards locked by pulls in flight, as
    `claim_card` takes them; and only when every draw has a card of its own and the user's
    seed still stands at the nonce the draws were made from (`first_nonce`), the nonces
    reserved, the cards moved to the user, the user's row (if new), the session, its pull rows
    and the ledger entry written; otherwise nothing.
    Returns the claimed cards (with draw_position), none when nothing was written.

    Parameters: the draws (arrays draw_positions, tier_ids, lower_bounds, units, nonces), amount,
    in_pack_id, HELD_VALUES' (new_partner_id, new_user_id, new_session_id, now, expires_at),
    seed_id, first_nonce, user_created_at, buyback_bps, s_<column> of the session (SESSION_KEYS)
    and e_<column> of the entry (ENTRY_KEYS)."""
    cards: Table = Card.__table__  # type: ignore[assignment]
    seeds: Table = FairnessSeed.__table__  # type: ignore[assignment]
    sessions: Table = PurchaseSession.__table__  # type: ignore[assignment]
    pulls: Table = Pull.__table__  # type: ignore[assignment]
    entries: Table = LedgerEntry.__table__  # type: ignore[assignment]
    users: Table = User.__table__  # type: ignore[assignment]
    # The seed's row is locked before any card, as a pull in a transaction locks them (nonces
    # reserved, then cards): in the other order, this statement holding a card and waiting for
    # the seed, a transaction holding the seed and waiting for that card was a deadlock. The
    # draws exist only while the seed still stands at `first_nonce`: else no card is touched.
    seed_stands = (
        select(seeds.c.id)
        .where(
            seeds.c.id == bindparam("seed_id"),
            seeds.c.next_nonce == bindparam("first_nonce"),
            seeds.c.revealed_at.is_(None),
        )
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: the lock the UPDATE takes
        .cte("seed_stands")
    )
    unnested = (
        func.unnest(
            bindparam("draw_positions", type_=ARRAY(Integer)),
            bindparam("tier_ids", type_=ARRAY(Integer)),
            bindparam("lower_bounds", type_=ARRAY(BigInteger)),
            bindparam("units", type_=ARRAY(Float)),
            bindparam("nonces", type_=ARRAY(BigInteger)),
        )
        .table_valued("draw_position", "tier_id", "lower_bound", "unit", "nonce")
        .render_derived(name="d")
    )
    draws = select(unnested).select_from(seed_stands.join(unnested, true())).cte("draws")

    def first_from(lower_bound: Any, name: str) -> Any:
        return (
            select(cards.c.id)
            .where(
                cards.c.pack_id == bindparam("in_pack_id"),
                is_available(cards.c.status),
                cards.c.tier_id == draws.c.tier_id,
                cards.c.pool_key >= lower_bound,
            )
            .order_by(cards.c.pool_key)
            .limit(1)
            .with_for_update(skip_locked=True)
            .correlate(draws)
            .lateral(name)
        )

    # As `claim_card`'s passes: the first card at or after the draw's key, else (past the
    # tier's last card) the tier's first card. Under LIMIT 1 the second branch runs only
    # when the first found none, so it locks no card it does not give.
    after_key, from_start = first_from(draws.c.lower_bound, "after_key"), first_from(0, "start")
    candidate = (
        union_all(select(after_key.c.id), select(from_start.c.id)).limit(1).lateral("candidate")
    )
    picked, all_different = picked_card(draws, candidate)
    # The one row that lets everything else be written (none: nothing is).
    nonces = (
        update(seeds)
        .where(
            seeds.c.id == bindparam("seed_id"),
            seeds.c.next_nonce == bindparam("first_nonce"),
            seeds.c.revealed_at.is_(None),
            all_different.c.ok,
        )
        .values(next_nonce=seeds.c.next_nonce + bindparam("amount"))
        .returning(seeds.c.id)
        .cte("nonces")
    )
    claimed = (
        update(cards)
        .where(
            cards.c.id == picked.c.id,
            unindexed(cards.c.status) == CardStatus.AVAILABLE.value,
            nonces.c.id.is_not(None),
        )
        .values(HELD_VALUES)
        .returning(picked.c.draw_position, *(cards.c[c.key] for c in CLAIMED_COLUMNS))
        .cte("claimed")
    )
    new_user = (
        postgresql.insert(users)
        .from_select(
            ["partner_id", "user_id", "created_at"],
            select(
                bindparam("new_partner_id", type_=users.c.partner_id.type),
                bindparam("new_user_id", type_=users.c.user_id.type),
                bindparam("user_created_at", type_=users.c.created_at.type),
            ).select_from(nonces),
        )
        .on_conflict_do_nothing()
        .cte("new_user")
    )
    new_session = (
        insert(sessions)
        .from_select(
            list(SESSION_KEYS),
            select(*typed_params(sessions, "s_", SESSION_KEYS).values()).select_from(nonces),
        )
        .cte("new_session")
    )
    bps = bindparam("buyback_bps", type_=BigInteger)
    buyback_price = buyback_cents(claimed.c.fmv_cents, bps)
    pull_rows = select(
        bindparam("s_id", type_=pulls.c.session_id.type),
        claimed.c.draw_position,
        claimed.c.id,
        bindparam("s_pack_id", type_=pulls.c.pack_id.type),
        bindparam("s_partner_id", type_=pulls.c.partner_id.type),
        bindparam("s_user_id", type_=pulls.c.user_id.type),
        draws.c.tier_id,
        draws.c.unit,
        nonces.c.id,
        draws.c.nonce,
        draws.c.lower_bound,
        claimed.c.pool_key,
        claimed.c.fmv_cents,
        buyback_price,
        bindparam("s_created_at", type_=pulls.c.created_at.type),
    ).where(draws.c.draw_position == claimed.c.draw_position)
    new_pulls = (
        insert(pulls)
        .from_select(
            [
                "session_id",
                "position",
                "card_id",
                "pack_id",
                "partner_id",
                "user_id",
                "tier_id",
                "draw",
                "seed_id",
                "nonce",
                "drawn_key",
                "card_key",
                "value_cents",
                "buyback_price_cents",
                "created_at",
            ],
            pull_rows,
        )
        .cte("new_pulls")
    )
    new_entry = (
        insert(entries)
        .from_select(
            list(ENTRY_KEYS),
            select(*typed_params(entries, "e_", ENTRY_KEYS).values()).select_from(nonces),
        )
        .cte("new_entry")
    )
    return (
        select(claimed).add_cte(new_user).add_cte(new_session).add_cte(new_pulls).add_cte(new_entry)
    )


PULL_IN_ONE = _pull_in_one_statement()


async def run(
    conn: Conn,
    pack_id: str,
    draws: Sequence[dict[str, Any]],
    seed: lean.Row,
    buyback_bps: int,
    holder: dict[str, Any],
    session: dict[str, Any],
    entry: dict[str, Any],
) -> list[dict[str, Any]] | None:
    """PostgreSQL: PULL_IN_ONE, the whole pull in one statement, in autocommit or in the
    transaction of what commits with it. `draws` (tier_id, key, unit, nonce each) were made
    from `seed` as read, its nonces from next_nonce on. Returns the claimed cards in draw
    order; None when nothing was written (the seed moved on, two draws met at one card, a
    draw's cards were all locked or none was at or after its key): the caller pulls card by
    card instead, in a transaction of its own."""
    params: dict[str, Any] = {
        "draw_positions": list(range(len(draws))),
        "tier_ids": [d["tier_id"] for d in draws],
        "lower_bounds": [d["key"] for d in draws],
        "units": [d["unit"] for d in draws],
        "nonces": [d["nonce"] for d in draws],
        "amount": len(draws),
        "in_pack_id": pack_id,
        "new_partner_id": holder["partner_id"],
        "new_user_id": holder["user_id"],
        "new_session_id": holder["session_id"],
        "now": holder["now"],
        "expires_at": holder["expires_at"],
        "seed_id": seed["id"],
        "first_nonce": seed["next_nonce"],
        "user_created_at": holder["now"],
        "buyback_bps": buyback_bps,
    }
    params.update({f"s_{key}": session[key] for key in SESSION_KEYS})
    params.update({f"e_{key}": entry[key] for key in ENTRY_KEYS})
    rows = (await lean.execute(conn, PULL_IN_ONE, params)).rows
    if len(rows) != len(draws):
        return None
    rows.sort(key=lambda row: row["draw_position"])
    for row in rows:
        del row["draw_position"]
    return rows
