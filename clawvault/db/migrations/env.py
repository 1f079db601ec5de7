from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

import clawvault.sandbox.models  # noqa: F401  (puts the sandbox's tables on Base.metadata)
from clawvault.db.dialect import SETUP_LOCK_KEY
from clawvault.db.engine import async_url
from clawvault.db.models import Base
from clawvault.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _serialize(connection: Connection) -> None:
    """Several processes may start on a fresh database at once: one migrates, the others wait
    for it inside their own transaction and then find the schema at head."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # WAL before anything else (a fresh file starts in rollback-journal mode, where
        # readers and writers of other processes block each other), then DDL too in one
        # write transaction.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Indexes with a DESC column: Alembic cannot reflect the sort order of a SQLite index and would
# report them changed on every check; PostgreSQL's check compares them.
SQLITE_UNCOMPARED_INDEXES = {"ix_cards_owner_page"}


def _include_object(dialect: str) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (dialect == "sqlite" and type_ == "index" and name in SQLITE_UNCOMPARED_INDEXES)

    return include


def _run(connection: Connection) -> None:
    _serialize(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _sqlite_setup_lock(url: str) -> Iterator[None]:
    """SQLite: one process at a time migrates a database file (a lock file beside it), so
    the switch of a new file to WAL never races another process's first statements."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


async def _run_async() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    with _sqlite_setup_lock(url):
        await _migrate(url)


async def _migrate(url: str) -> None:
    driver_url = async_url(url)
    connect_args: dict[str, Any] = {}
    if driver_url.startswith("sqlite"):  # wait, as the app does, for another process's writes
        connect_args["timeout"] = get_settings().sqlite_busy_timeout_ms / 1000
    engine = create_async_engine(driver_url, connect_args=connect_args)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=target_metadata,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
