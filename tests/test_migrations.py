"""The migrations and the models agree, on every database."""

from __future__ import annotations

from clawvault.db import migrate


def test_models_match_the_migrations(database_url: str) -> None:
    migrate.check(database_url)
