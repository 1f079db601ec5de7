"""Right after a bulk write of the catalog, a pull's statements take the indexes they are
written for (PostgreSQL: the seed and the imports refresh the planner's statistics)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.buyback.repository import HELD_CARD, HELD_CARD_LOCKED, RETURN_TO_POOL
from clawvault.core.runtime import Runtime
from clawvault.db.models import Card, Pack
from clawvault.db.unit import Unit
from clawvault.demo.service import seed_demo
from clawvault.fairness.repository import FairnessRepository
from clawvault.packs.repository import PackRepository
from clawvault.pulls.statements import CLAIM, HAS_AVAILABLE, PACK_FOR_PULL
from clawvault.sandbox.catalog_repository import CatalogRepository
from clawvault.settings import Settings
from tests.factories import FakeClock, run


def test_right_after_a_seed_a_pull_probes_its_tiers_through_the_pool_index(
    settings: Settings,
) -> None:
    async def work(runtime: Runtime) -> str:
        assert await seed_demo(runtime, Unit(runtime.db), cards=6000, seed=3)
        async with runtime.db.read() as conn:
            pack_id = (await conn.execute(select(Pack.id).limit(1))).scalar_one()
            statement = PACK_FOR_PULL.params(
                pack_id=pack_id, endpoint_partner_id=1, endpoint_environment="production"
            )
            sql = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN " if runtime.db.is_postgres else "EXPLAIN QUERY PLAN "
            rows = (await conn.exec_driver_sql(explain + str(sql))).all()
        return "\n".join(str(row[-1]) for row in rows)

    plan = run(settings, work)
    assert "ix_cards_pool" in plan, plan
    assert "ix_cards_value" not in plan, plan


def test_a_sellback_finds_its_card_by_key_while_the_statistics_say_none_is_held(
    settings: Settings,
) -> None:
    """The statistics of the seed say every card is available; half are held since (autovacuum
    has not analyzed again). The sellback's statements must still go by the card's key, not
    by an index on status or owner, which would walk every held card."""

    async def work(runtime: Runtime) -> list[str]:
        assert await seed_demo(runtime, Unit(runtime.db), cards=6000, seed=3)
        async with runtime.db.write() as conn:
            await conn.execute(
                update(Card)
                .where(Card.pool_key % 2 == 0)
                .values(
                    status="held",
                    owner_partner_id=None,
                    owner_user_id="u",
                    session_id="s",
                    buyback_expires_at=FakeClock()(),
                )
            )
        plans = []
        async with runtime.db.read() as conn:
            held = HELD_CARD_LOCKED if runtime.db.is_postgres else HELD_CARD
            for statement, params in (
                (
                    held,
                    {
                        "card_id": "some-card",
                        "partner_id": 1,
                        "endpoint_partner_id": 1,
                        "endpoint_environment": "production",
                    },
                ),
                (
                    RETURN_TO_POOL,
                    {
                        "card_id": "some-card",
                        "held_session_id": "s",
                        "new_pool_key": 1,
                        "now": FakeClock()(),
                    },
                ),
            ):
                sql, ordered = positional(statement, conn, params)
                explain = "EXPLAIN " if runtime.db.is_postgres else "EXPLAIN QUERY PLAN "
                rows = (await conn.exec_driver_sql(explain + sql, ordered)).all()
                plans.append("\n".join(str(row[-1]) for row in rows))
        return plans

    for plan in run(settings, work):
        assert "pk_cards" in plan or "sqlite_autoindex_cards_1" in plan, plan
        assert "ix_cards" not in plan, plan


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("mode", ["force_generic_plan", "auto"])
def test_postgresql_connections_plan_as_configured(database_url: str, mode: str) -> None:
    settings = Settings(database_url=database_url, pg_plan_cache_mode=mode)  # type: ignore[arg-type]

    async def work(runtime: Runtime) -> str:
        async with runtime.db.read() as conn:
            return str((await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar())

    assert run(settings, work) == mode


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("workers", [0, 2])
def test_postgresql_connections_take_parallel_workers_as_configured(
    database_url: str, workers: int
) -> None:
    settings = Settings(database_url=database_url, pg_parallel_workers=workers)

    async def work(runtime: Runtime) -> str:
        async with runtime.db.read() as conn:
            sql = "SHOW max_parallel_workers_per_gather"
            return str((await conn.exec_driver_sql(sql)).scalar())

    assert run(settings, work) == str(workers)


def test_the_pools_queries_take_the_partial_pool_indexes(settings: Settings) -> None:
    """ix_cards_pool and ix_cards_value hold the pool's cards only (status 'available'): every
    query of a pack's pool must be served by one of them, which a planner can do only when the
    query says status = 'available' in its SQL (is_available), not as a bound parameter."""

    async def work(runtime: Runtime) -> dict[str, str]:
        assert await seed_demo(runtime, Unit(runtime.db), cards=6000, seed=3)
        # Most cards out of the pool: an index of the pool's cards is then the cheapest way to
        # them, if the planner can use it (ix_cards_pack holds every card of the pack).
        async with runtime.db.write() as conn:
            await conn.execute(update(Card).where(Card.pool_key % 10 != 0).values(status="held"))
        async with runtime.db.write() as conn:
            await conn.exec_driver_sql("ANALYZE")
        captured: list[tuple[str, Any]] = []

        def capture(*args: Any) -> None:
            captured.append((args[2], args[3]))  # statement, parameters

        async with runtime.db.read() as conn:
            pack_id = (await conn.execute(select(Pack.id).limit(1))).scalar_one()
            calls = {
                "tier stock": lambda: PackRepository(conn).tier_stock(pack_id),
                "chase cards": lambda: PackRepository(conn).chase_cards(pack_id, 5),
                "empty tiers": lambda: PackRepository(conn).packs_with_an_empty_tier([pack_id]),
                "receipt stock": lambda: FairnessRepository(conn).available_by_tier(pack_id),
                "sandbox first card": lambda: CatalogRepository(conn).first_card(
                    pack_id, 1, 2**40, ["x"]
                ),
                "sandbox stock": lambda: CatalogRepository(conn).available_by_tier(pack_id, ["x"]),
                "claim's card": lambda: conn.execute(
                    HAS_AVAILABLE, {"in_pack_id": pack_id, "in_tier_id": 1}
                ),
            }
            plans = {}
            for name, call in calls.items():
                captured.clear()
                event.listen(conn.sync_connection, "before_cursor_execute", capture)
                try:
                    await call()
                finally:
                    event.remove(conn.sync_connection, "before_cursor_execute", capture)
                ((sql, parameters),) = captured
                plans[name] = await plan_of(conn, sql, tuple(parameters))
            sql, ordered = positional(
                CLAIM,
                conn,
                {
                    "in_pack_id": pack_id,
                    "in_tier_id": 1,
                    "lower_bound": 7,
                    "new_partner_id": 1,
                    "new_user_id": "u",
                    "new_session_id": "s",
                    "now": FakeClock()(),
                    "expires_at": None,
                },
            )
            plans["claim"] = await plan_of(conn, sql, ordered)
        return plans

    for name, plan in run(settings, work).items():
        assert "ix_cards_pool" in plan or "ix_cards_value" in plan, (name, plan)
        assert "SCAN cards\n" not in plan + "\n" and "Seq Scan on cards" not in plan, (name, plan)


def positional(
    statement: Any, conn: AsyncConnection, params: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """`statement`'s SQL for the connection's driver, and `params` in its parameters' order."""
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(params))
    values = compiled.construct_params(params)
    return compiled.string, tuple(values[name] for name in compiled.positiontup or ())


async def plan_of(conn: AsyncConnection, sql: str, parameters: tuple[Any, ...]) -> str:
    """The plan of `sql` with `parameters`; on PostgreSQL the generic plan, made without the
    parameters' values, as a prepared statement's once cached (plan_cache_mode auto may)."""
    if conn.dialect.name != "postgresql":
        rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)).all()
        return "\n".join(str(row[-1]) for row in rows)
    values = ", ".join(_literal(value) for value in parameters)
    await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    await conn.exec_driver_sql(f"PREPARE planned AS {sql}")
    try:
        explain = f"EXPLAIN EXECUTE planned({values})" if values else "EXPLAIN EXECUTE planned"
        rows = (await conn.exec_driver_sql(explain)).all()
    finally:
        await conn.exec_driver_sql("DEALLOCATE planned")
    return "\n".join(str(row[-1]) for row in rows)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"
