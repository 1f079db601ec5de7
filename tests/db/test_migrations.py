"""`alembic upgrade head` then `alembic check` on both databases: the migrations build the
schema the models describe, and a second upgrade is a no-op."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from clawvault.db import migrate
from clawvault.db.models import Base
from clawvault.settings import Settings
from tests.invariants import query


def test_upgrade_head_then_check_on_an_empty_database(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    migrate.check(empty_database_url)  # raises when models and migrations disagree
    migrate.upgrade(empty_database_url)  # already at head: nothing to do, no error

    settings = Settings(database_url=empty_database_url)
    heads = ScriptDirectory.from_config(migrate.alembic_config(empty_database_url)).get_heads()
    assert query(settings, "SELECT version_num FROM alembic_version") == [(h,) for h in heads]
    for table in Base.metadata.tables:
        assert query(settings, f"SELECT COUNT(*) FROM {table}") == [(0,)]
