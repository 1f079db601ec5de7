"""Migration 0005 (card prices, scheduled jobs) agrees with the models and can be undone."""

from __future__ import annotations

from alembic import command

from clawvault.db import migrate


def test_models_match_migrations_and_0005_downgrades(database_url: str) -> None:
    migrate.check(database_url)  # the fixture's database is already at head
    config = migrate.alembic_config(database_url)
    command.downgrade(config, "0007")
    command.upgrade(config, "head")
    migrate.check(database_url)
