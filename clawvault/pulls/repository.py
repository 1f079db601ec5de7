"""All SQL of a pull card by card, by the repository's methods: the pack, claiming cards from a
pool, recording sessions and pulls (its statements: pulls.statements). The pull in one
statement is `pulls.in_one`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    RowMapping,
    Update,
    select,
)

from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.dialect import is_postgres
from clawvault.db.engine import TransientConflict
from clawvault.db.models import (
    Card,
    Pack,
    Pull,
    PurchaseSession,
)
from clawvault.inventory.repository import item_select
from clawvault.ledger.repository import LedgerRepository
from clawvault.packs.domain import Tier
from clawvault.pulls.statements import (
    ADD_PULLS,
    ADD_SESSION,
    CLAIM,
    CLAIM_SKIP_LOCKED,
    CLAIM_WAITING,
    HAS_AVAILABLE,
    PACK_FOR_PULL,
    record_in_one,
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


def pack_params(pack_id: str, partner_id: int, environment: str) -> dict[str, Any]:
    """PACK_FOR_PULL's parameters."""
    return {
        "pack_id": pack_id,
        "endpoint_partner_id": partner_id,
        "endpoint_environment": environment,
    }


class PullRepository:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def pack(self, pack_id: str, partner_id: int, environment: str) -> PackForPull | None:
        """The pack, and whether the partner has a webhook endpoint in `environment`."""
        params = pack_params(pack_id, partner_id, environment)
        rows = (await lean.execute(self.conn, PACK_FOR_PULL, params)).rows
        return PackForPull(rows) if rows else None

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
        statement = record_in_one(tuple(session), tuple(pulls[0]), len(pulls), tuple(entry))
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
