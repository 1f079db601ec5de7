"""Right after a bulk write of the catalog, a pull's statements take the indexes they are
written for (PostgreSQL: the seed and the imports refresh the planner's statistics)."""

from __future__ import annotations

from sqlalchemy import select

from clawvault.core.runtime import Runtime
from clawvault.db.models import Pack
from clawvault.demo.service import seed_demo
from clawvault.pulls.repository import PACK_FOR_PULL
from clawvault.settings import Settings
from tests.factories import run


def test_right_after_a_seed_a_pull_probes_its_tiers_through_the_pool_index(
    settings: Settings,
) -> None:
    async def work(runtime: Runtime) -> str:
        assert await seed_demo(runtime, cards=6000, seed=3)
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
