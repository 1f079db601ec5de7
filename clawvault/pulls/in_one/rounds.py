"""PostgreSQL: the pull in one statement's first read, the pack and the user's seed, for all the
pulls in flight in one statement a round (PullRounds), and the same read for one pull
(`pack_and_seed`, which the round is tested against)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Select, String, Table, bindparam, column, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from clawvault.db import lean
from clawvault.db.batcher import Batcher, PerDatabase
from clawvault.db.conn import Conn
from clawvault.db.engine import Database
from clawvault.db.models import FairnessSeed
from clawvault.pulls.repository import PackForPull, pack_params
from clawvault.pulls.statements import pack_for_pull


def _pack_and_seed(
    pack_id: Any, partner_id: Any, environment: Any, owner_id: Any, user_id: Any
) -> Select[*tuple[Any, ...]]:
    """PostgreSQL: the pack as `pulls.statements.pack_for_pull`, and the user's active seed
    (seed_id, server_seed, client_seed, next_nonce: NULL when the user has none yet), reading
    only. Of parameters (PACK_AND_SEED), or of the columns of a round's asks
    (PACK_AND_SEED_ROUND)."""
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
    found = pack_for_pull(pack_id, partner_id, environment)
    return found.outerjoin(seed, true()).add_columns(
        seed.c.id.label("seed_id"), seed.c.server_seed, seed.c.client_seed, seed.c.next_nonce
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


def _seed_params(pack_id: str, partner_id: int, environment: str, user_id: str) -> dict[str, Any]:
    """PACK_AND_SEED's parameters."""
    return {
        **pack_params(pack_id, partner_id, environment),
        "owner_id": partner_id,
        "seed_user_id": user_id,
    }


def _pack_with_seed(rows: Sequence[lean.Row]) -> tuple[PackForPull | None, lean.Row | None]:
    """The pack and the user's seed (None: none yet) of PACK_AND_SEED's rows (none: no such
    pack)."""
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


async def pack_and_seed(
    conn: Conn, pack_id: str, partner_id: int, environment: str, user_id: str
) -> tuple[PackForPull | None, lean.Row | None]:
    """PostgreSQL, one round trip that writes nothing: the pack (as `pack`) and the user's
    active seed (id, server_seed, client_seed, next_nonce; None: no seed yet)."""
    params = _seed_params(pack_id, partner_id, environment, user_id)
    return _pack_with_seed((await lean.execute(conn, PACK_AND_SEED, params)).rows)


Ask = tuple[str, int, str, str]  # pack_id, partner_id, environment, user_id


class PullRounds:
    """PostgreSQL, for pulls that need no transaction: their first read (the pack and the
    user's seed, `PullRepository.pack_and_seed`), one statement a round in autocommit for all
    the pulls in flight (clawvault.db.batcher), as quotes share theirs. The same rows as each
    pull's own statement; the pull itself stays one statement of its own (`pull_in_one`)."""

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
        for row in await self._db.autocommit_rows(PACK_AND_SEED_ROUND, params):
            rows[row["ask_n"]].append(row)
        return [_pack_with_seed(rows.get(n, [])) for n in range(1, len(asks) + 1)]


pull_rounds = PerDatabase(PullRounds)
