"""All SQL of a pull: claiming cards from a pool, recording sessions and pulls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    Float,
    Integer,
    RowMapping,
    Select,
    String,
    Table,
    Update,
    bindparam,
    column,
    func,
    insert,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.db import lean
from clawvault.db.batcher import Batcher, PerDatabase
from clawvault.db.dialect import is_postgres, unindexed
from clawvault.db.engine import Database, TransientConflict
from clawvault.db.models import (
    Card,
    CardStatus,
    FairnessSeed,
    LedgerEntry,
    Pack,
    PackTier,
    Pull,
    PurchaseSession,
    User,
    is_available,
)
from clawvault.db.params import typed_params
from clawvault.fairness.repository import reserve_nonces_statement
from clawvault.inventory.repository import item_select
from clawvault.ledger.repository import LedgerRepository
from clawvault.packs.domain import Tier, buyback_cents
from clawvault.packs.repository import TIER_HAS_STOCK
from clawvault.webhooks.repository import endpoint_exists

CLAIMED_COLUMNS = (
    Card.id,
    Card.pack_id,
    Card.name,
    Card.image,
    Card.back_image,
    Card.attributes,
    Card.type,
    Card.mint_address,
    Card.collection_address,
    Card.token_standard,
    Card.fmv_cents,
    Card.purchased_at,
    Card.buyback_expires_at,
    Card.pool_key,
)

# The write path's statements are built once and executed with parameters: building and
# cache-keying a statement per call cost more CPU than running it.


def _pack_for_pull(pack_id: Any, partner_id: Any, environment: Any) -> Select[*tuple[Any, ...]]:
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


PACK_FOR_PULL = _pack_for_pull(
    bindparam("pack_id"), bindparam("endpoint_partner_id"), bindparam("endpoint_environment")
)


def _pack_user_and_nonces() -> Executable:
    """PostgreSQL: PACK_FOR_PULL, and in the same statement the user's row (added if new) and
    `count` nonces of the user's active seed (seed_id, server_seed, client_seed, next_nonce
    after the reservation: NULL when the user has no seed yet). Parameters: PACK_FOR_PULL's,
    owner_id (the partner), seed_user_id, user_created_at, count."""
    new_user = (
        postgresql.insert(User.__table__)  # type: ignore[arg-type]
        .values(
            partner_id=bindparam("owner_id"),
            user_id=bindparam("seed_user_id"),
            created_at=bindparam("user_created_at"),
        )
        .on_conflict_do_nothing()
        .cte("new_user")
    )
    nonces = reserve_nonces_statement(FairnessSeed.__table__, "partner_id").cte("nonces")
    return (
        PACK_FOR_PULL.add_cte(new_user)
        .outerjoin(nonces, true())
        .add_columns(
            nonces.c.id.label("seed_id"),
            nonces.c.server_seed,
            nonces.c.client_seed,
            nonces.c.next_nonce,
        )
    )


PACK_USER_AND_NONCES = _pack_user_and_nonces()
# Pulls of at most this many cards take PACK_USER_AND_NONCES (more: the pack's max_per_mint
# refuses them before any nonce is reserved).
AT_ONCE_MAX_AMOUNT = 100


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


def _picked(draws: Any, candidate: Any) -> tuple[Any, Any]:
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


def _claim_all_statement() -> Update:
    """PostgreSQL: every draw's card in one statement. Each draw (draw_positions, tier_ids,
    lower_bounds: arrays) locks the first available card of its tier at or after its key,
    skipping cards locked by others (as `CLAIM_SKIP_LOCKED`); the cards change hands only when
    the draws found `amount` different cards, else nothing changes."""
    draws = (
        func.unnest(
            bindparam("draw_positions", type_=ARRAY(Integer)),
            bindparam("tier_ids", type_=ARRAY(Integer)),
            bindparam("lower_bounds", type_=ARRAY(BigInteger)),
        )
        .table_valued("draw_position", "tier_id", "lower_bound")
        .render_derived(name="draws")
    )
    candidate = (
        select(Card.id)
        .where(
            Card.pack_id == bindparam("in_pack_id"),
            is_available(),
            Card.tier_id == draws.c.tier_id,
            Card.pool_key >= draws.c.lower_bound,
        )
        .order_by(Card.pool_key)
        .limit(1)
        .with_for_update(skip_locked=True)
        .lateral("candidate")
    )
    picked, all_different = _picked(draws, candidate)
    return (
        update(Card)
        .where(
            Card.id == picked.c.id,
            unindexed(Card.status) == CardStatus.AVAILABLE.value,
            all_different.c.ok,
        )
        .values(HELD_VALUES)
        .returning(picked.c.draw_position, *CLAIMED_COLUMNS)
    )


CLAIM_ALL = _claim_all_statement()
CLAIM = _claim_statement(lock=False, skip_locked=False)
CLAIM_SKIP_LOCKED = _claim_statement(lock=True, skip_locked=True)
CLAIM_WAITING = _claim_statement(lock=True, skip_locked=False)
HAS_AVAILABLE = AVAILABLE_IN_TIER.limit(1)
ADD_SESSION = insert(PurchaseSession.__table__)  # type: ignore[arg-type]  # Core: no ORM step
ADD_PULLS = insert(Pull.__table__)  # type: ignore[arg-type]


Keys = tuple[str, ...]


def _pack_and_seed(
    pack_id: Any, partner_id: Any, environment: Any, owner_id: Any, user_id: Any
) -> Select[*tuple[Any, ...]]:
    """PostgreSQL: the pack as `_pack_for_pull`, and the user's active seed (seed_id,
    server_seed, client_seed, next_nonce: NULL when the user has none yet), reading only. Of
    parameters (PACK_AND_SEED), or of the columns of a round's asks (PACK_AND_SEED_ROUND)."""
    seeds: Table = FairnessSeed.__table__  # type: ignore[assignment]
    seed = (
        select(seeds.c.id, seeds.c.server_seed, seeds.c.client_seed, seeds.c.next_nonce)
        .where(
            seeds.c.partner_id == owner_id,
            seeds.c.user_id == user_id,
            seeds.c.revealed_at.is_(None),
        )
        .correlate_except(seeds)  # a round's asks are two levels up
        .lateral("seed")
    )
    found = _pack_for_pull(pack_id, partner_id, environment)
    return found.outerjoin(seed, true()).add_columns(
        seed.c.id.label("seed_id"), seed.c.server_seed, seed.c.client_seed, seed.c.next_nonce
    )


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


def _pull_in_one_statement() -> Executable:
    """PostgreSQL, a whole pull of a user who has a seed in one statement (run in autocommit,
    it is its own transaction): the draws' cards as CLAIM_ALL takes them, and only when every
    draw has a card of its own and the user's seed still stands at the nonce the draws were
    made from (`first_nonce`), the nonces reserved, the cards moved to the user, the user's row
    (if new), the session, its pull rows and the ledger entry written; otherwise nothing.
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
    picked, all_different = _picked(draws, candidate)
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


PACK_AND_SEED = _pack_and_seed(
    bindparam("pack_id"),
    bindparam("endpoint_partner_id"),
    bindparam("endpoint_environment"),
    bindparam("owner_id"),
    bindparam("seed_user_id"),
)


def _pack_and_seed_round() -> Select[*tuple[Any, ...]]:
    """PACK_AND_SEED for many pulls in one statement: run for each ask of the unnest of four
    arrays (pack_ids, partner_ids, environments, user_ids), `ask_n` telling whose row a row
    is."""
    ask = (
        func.unnest(
            bindparam("pack_ids", type_=ARRAY(String)),
            bindparam("partner_ids", type_=ARRAY(BigInteger)),
            bindparam("environments", type_=ARRAY(String)),
            bindparam("user_ids", type_=ARRAY(String)),
        )
        .table_valued(
            column("pack_id", String),
            column("partner_id", BigInteger),
            column("environment", String),
            column("user_id", String),
            with_ordinality="n",
        )
        .render_derived(name="ask", with_types=False)
    )
    c = ask.c
    found = _pack_and_seed(c.pack_id, c.partner_id, c.environment, c.partner_id, c.user_id)
    found_rows = found.lateral("found")
    return (
        select(ask.c.n.label("ask_n"), found_rows)
        .select_from(ask.join(found_rows, true()))
        .order_by(ask.c.n, found_rows.c.tier_id)
    )


PACK_AND_SEED_ROUND = _pack_and_seed_round()
PULL_IN_ONE = _pull_in_one_statement()


@cache
def _record_in_one(session_keys: Keys, pull_keys: Keys, rows: int, entry_keys: Keys) -> Executable:
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


class PackForPull:
    """What a pull needs of its pack, read in one statement."""

    def __init__(self, rows: Sequence[lean.Row]) -> None:
        terms = rows[0]
        self.slug: str = terms["slug"]
        self.enable: bool = terms["enable"]
        self.max_per_mint: int = terms["max_per_mint"]
        self.mint_price_cents: int = terms["mint_price_cents"]
        self.buyback_bps: int = terms["buyback_bps"]
        self.buyback_window_seconds: int | None = terms["buyback_window_seconds"]
        self.has_endpoints: bool = terms["has_endpoints"]
        with_tier = [row for row in rows if row["tier_id"] is not None]
        self.tiers = [
            Tier(
                tier_id=row["tier_id"],
                name=row["tier_name"],
                color=row["color"],
                lower_cents=row["lower_cents"],
                upper_cents=row["upper_cents"],
                weight=row["weight"],
            )
            for row in with_tier
        ]
        self.has_an_empty_tier = any(row["weight"] > 0 and not row["in_stock"] for row in with_tier)


def _seed_params(pack_id: str, partner_id: int, environment: str, user_id: str) -> dict[str, Any]:
    """The parameters PACK_USER_AND_NONCES and PACK_AND_SEED share."""
    return {
        **_pack_params(pack_id, partner_id, environment),
        "owner_id": partner_id,
        "seed_user_id": user_id,
    }


def _pack_with_seed(rows: Sequence[lean.Row]) -> tuple[PackForPull | None, lean.Row | None]:
    """The pack and the user's seed (None: none yet) of PACK_USER_AND_NONCES's or
    PACK_AND_SEED's rows (none: no such pack)."""
    if not rows:
        return None, None
    row = rows[0]
    if row["seed_id"] is None:
        return PackForPull(rows), None
    return PackForPull(rows), {
        "id": row["seed_id"],
        "server_seed": row["server_seed"],
        "client_seed": row["client_seed"],
        "next_nonce": row["next_nonce"],
    }


def _pack_params(pack_id: str, partner_id: int, environment: str) -> dict[str, Any]:
    """PACK_FOR_PULL's parameters."""
    return {
        "pack_id": pack_id,
        "endpoint_partner_id": partner_id,
        "endpoint_environment": environment,
    }


class PullRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def pack(self, pack_id: str, partner_id: int, environment: str) -> PackForPull | None:
        """The pack, and whether the partner has a webhook endpoint in `environment`."""
        params = _pack_params(pack_id, partner_id, environment)
        rows = (await lean.execute(self.conn, PACK_FOR_PULL, params)).rows
        return PackForPull(rows) if rows else None

    async def pack_user_and_nonces(
        self,
        pack_id: str,
        partner_id: int,
        environment: str,
        user_id: str,
        count: int,
        now: datetime,
    ) -> tuple[PackForPull | None, lean.Row | None]:
        """PostgreSQL, one round trip: the pack (as `pack`), the user's row added if new (as
        InventoryRepository.ensure_user) and `count` nonces reserved of the user's active seed
        (as SeedRepository.reserve_active_nonces; None: no seed yet). The user and the nonces
        are written even when the pack is missing: the caller's error rolls them back."""
        params = {
            **_seed_params(pack_id, partner_id, environment, user_id),
            "user_created_at": now,
            "count": count,
        }
        return _pack_with_seed((await lean.execute(self.conn, PACK_USER_AND_NONCES, params)).rows)

    async def pack_and_seed(
        self, pack_id: str, partner_id: int, environment: str, user_id: str
    ) -> tuple[PackForPull | None, lean.Row | None]:
        """PostgreSQL, one round trip that writes nothing: the pack (as `pack`) and the user's
        active seed (id, server_seed, client_seed, next_nonce; None: no seed yet)."""
        params = _seed_params(pack_id, partner_id, environment, user_id)
        return _pack_with_seed((await lean.execute(self.conn, PACK_AND_SEED, params)).rows)

    async def pull_in_one(
        self,
        pack_id: str,
        draws: Sequence[dict[str, Any]],
        seed: lean.Row,
        buyback_bps: int,
        holder: dict[str, Any],
        session: dict[str, Any],
        entry: dict[str, Any],
    ) -> list[dict[str, Any]] | None:
        """PostgreSQL: PULL_IN_ONE, the whole pull in one statement, for a connection in
        autocommit. `draws` (tier_id, key, unit, nonce each) were made from `seed` as read, its
        nonces from next_nonce on. Returns the claimed cards in draw order; None when nothing
        was written (the seed moved on, or the statement could not take every draw's card, as
        `claim_all`): the caller pulls again in a transaction."""
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
        rows = (await lean.execute(self.conn, PULL_IN_ONE, params)).rows
        if len(rows) != len(draws):
            return None
        rows.sort(key=lambda row: row["draw_position"])
        for row in rows:
            del row["draw_position"]
        return rows

    async def claim_card(
        self,
        pack_id: str,
        tier_id: int,
        key: int,
        *,
        partner_id: int,
        user_id: str,
        session_id: str,
        now: datetime,
        expires_at: datetime | None,
        wait: bool = True,
    ) -> lean.Row | None:
        """Moves one available card of the tier, the first at or after `key` in pool order
        (wrapping around), into the user's hands. One indexed statement: O(log pool size).

        PostgreSQL: the candidate row is locked with SKIP LOCKED so concurrent pulls on one
        pack take different cards instead of queueing; when every candidate is locked by
        others, "none left" is never an artefact of skipping: with `wait` a blocking pass
        decides; without it (the transaction already holds cards, and waiting while holding
        them deadlocks against a pull waiting for ours) a non-skipping check either finds no
        card at all (None: out of stock) or raises TransientConflict to roll back and retry."""
        passes: list[tuple[int, Update]]
        postgres = is_postgres(self.conn)
        if postgres:
            passes = [
                (key, CLAIM_SKIP_LOCKED),
                (0, CLAIM_SKIP_LOCKED),
                *([(0, CLAIM_WAITING)] if wait else []),
            ]
        else:
            passes = [(key, CLAIM), (0, CLAIM)]  # writers are serialized: nothing to skip
        params: dict[str, Any] = {
            "in_pack_id": pack_id,
            "in_tier_id": tier_id,
            "new_partner_id": partner_id,
            "new_user_id": user_id,
            "new_session_id": session_id,
            "now": now,
            "expires_at": expires_at,
        }
        for lower_bound, statement in passes:
            params["lower_bound"] = lower_bound
            row = (await lean.execute(self.conn, statement, params)).first()
            if row is not None:
                return row
        if not wait and postgres and await self.has_available(pack_id, tier_id):
            raise TransientConflict()  # cards left, all locked by pulls still in flight
        return None

    async def claim_all(
        self,
        pack_id: str,
        draws: Sequence[tuple[int, int]],
        *,
        partner_id: int,
        user_id: str,
        session_id: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> list[dict[str, Any]] | None:
        """PostgreSQL: the cards of all `draws` ((tier_id, key) each) in one statement, in draw
        order, each the card `claim_card` would give it in turn; None (and nothing changed)
        when that statement cannot tell: two draws whose first card is the same one, a draw
        with none at or after its key, or one whose cards are all locked by other pulls. Then
        the cards this statement locked stay locked until the transaction ends: the caller
        rolls back and claims card by card."""
        params: dict[str, Any] = {
            "draw_positions": list(range(len(draws))),
            "tier_ids": [tier_id for tier_id, _key in draws],
            "lower_bounds": [key for _tier_id, key in draws],
            "amount": len(draws),
            "in_pack_id": pack_id,
            "new_partner_id": partner_id,
            "new_user_id": user_id,
            "new_session_id": session_id,
            "now": now,
            "expires_at": expires_at,
        }
        rows = (await lean.execute(self.conn, CLAIM_ALL, params)).rows
        if len(rows) != len(draws):
            return None
        rows.sort(key=lambda row: row["draw_position"])
        for row in rows:
            del row["draw_position"]
        return rows

    async def has_available(self, pack_id: str, tier_id: int) -> bool:
        """Whether the tier has an available card, locked or not (never skips)."""
        params = {"in_pack_id": pack_id, "in_tier_id": tier_id}
        return (await self.conn.execute(HAS_AVAILABLE, params)).first() is not None

    async def record(
        self, session: dict[str, Any], pulls: list[dict[str, Any]], entry: dict[str, Any]
    ) -> None:
        """Adds the purchase session, its pull rows (all with the same keys) and its ledger
        entry: on PostgreSQL in one statement, on SQLite (no round trips) in three."""
        if not is_postgres(self.conn):
            await lean.execute(self.conn, ADD_SESSION, session)
            await lean.execute(self.conn, ADD_PULLS, pulls)
            await LedgerRepository(self.conn).add(entry)
            return
        statement = _record_in_one(tuple(session), tuple(pulls[0]), len(pulls), tuple(entry))
        params = {f"s_{key}": value for key, value in session.items()}
        for row, values in enumerate(pulls):
            params.update({f"p{row}_{key}": value for key, value in values.items()})
        params.update({f"e_{key}": value for key, value in entry.items()})
        await lean.execute(self.conn, statement, params)

    async def session(self, session_id: str, partner_id: int) -> RowMapping | None:
        query = select(PurchaseSession.__table__).where(
            PurchaseSession.id == session_id, PurchaseSession.partner_id == partner_id
        )
        return (await self.conn.execute(query)).mappings().first()

    async def session_items(self, session_id: str) -> Sequence[RowMapping]:
        query = (
            item_select()
            .add_columns(
                Pull.created_at.label("pulled_at"),
                Card.session_id.label("holding_session_id"),
                Pack.buyback_window_seconds,
            )
            .join(Pull, Pull.card_id == Card.id)
            .where(Pull.session_id == session_id)
            .order_by(Pull.position)
        )
        return (await self.conn.execute(query)).mappings().all()

    async def recent(self, pack_ids: list[str] | None, limit: int) -> Sequence[RowMapping]:
        query = (
            select(
                Pull.card_id,
                Pull.pack_id,
                Pack.slug,
                Pull.value_cents,
                Pull.buyback_price_cents,
                Pull.created_at,
                Card.name,
                Card.image,
                Card.back_image,
                Card.attributes,
            )
            .join(Card, Card.id == Pull.card_id)
            .join(Pack, Pack.id == Pull.pack_id)
            .order_by(Pull.id.desc())
            .limit(limit)
        )
        if pack_ids is not None:
            query = query.where(Pull.pack_id.in_(pack_ids))
        return (await self.conn.execute(query)).mappings().all()


Ask = tuple[str, int, str, str]  # pack_id, partner_id, environment, user_id


class PullRounds:
    """PostgreSQL, for pulls that need no transaction: their first read (the pack and the
    user's seed, `PullRepository.pack_and_seed`), one statement a round for all the pulls in
    flight (clawvault.db.batcher), as quotes share theirs. The same rows as each pull's own
    statement; the pull itself stays one statement of its own (`pull_in_one`)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.reads: Batcher[Ask, tuple[PackForPull | None, lean.Row | None]] = Batcher(self._read)

    async def pack_and_seed(
        self, pack_id: str, partner_id: int, environment: str, user_id: str
    ) -> tuple[PackForPull | None, lean.Row | None]:
        return await self.reads.submit((pack_id, partner_id, environment, user_id))

    async def _read(self, asks: list[Ask]) -> list[tuple[PackForPull | None, lean.Row | None]]:
        pack_ids, partner_ids, environments, user_ids = (list(c) for c in zip(*asks, strict=True))
        params = {
            "pack_ids": pack_ids,
            "partner_ids": partner_ids,
            "environments": environments,
            "user_ids": user_ids,
        }
        rows: defaultdict[int, list[Any]] = defaultdict(list)
        # In autocommit: one statement, its own snapshot, no BEGIN or COMMIT round trips.
        async with self._db.autocommit_engine.connect() as conn:
            for row in (await conn.execute(PACK_AND_SEED_ROUND, params)).mappings():
                rows[row["ask_n"]].append(row)
        return [_pack_with_seed(rows.get(n, [])) for n in range(1, len(asks) + 1)]


pull_rounds = PerDatabase(PullRounds)
