"""Where sandbox state lives.

Default: a throwaway SQLite database on memory-backed storage (/dev/shm when there is one),
created when the server starts and deleted when it stops, so sandbox state is gone after a
restart as documented. `clawvault serve` creates it once and hands its URL to every worker
(CLAWVAULT_SANDBOX_DATABASE_URL), so the workers of one server share one sandbox.
CLAWVAULT_SANDBOX_PERSIST=1: the same tables in the main database (migration 0003), kept.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine

from clawvault.db.engine import Database
from clawvault.db.models import Base
from clawvault.sandbox.models import SANDBOX_TABLES
from clawvault.settings import Settings

MEMORY_DIR = Path("/dev/shm")


@dataclass
class SandboxStore:
    db: Database
    owns_db: bool
    directory: Path | None = None

    async def close(self) -> None:
        if self.owns_db:
            await self.db.dispose()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def make_memory_store() -> tuple[Path, str]:
    """A new directory on memory-backed storage holding an empty sandbox database; returns the
    directory (the caller deletes it) and the database URL."""
    parent = MEMORY_DIR if MEMORY_DIR.is_dir() and _writable(MEMORY_DIR) else None
    directory = Path(tempfile.mkdtemp(prefix="clawvault-sandbox-", dir=parent))
    url = f"sqlite:///{directory / 'sandbox.db'}"
    create_schema(url)
    return directory, url


def create_schema(url: str) -> None:
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine, tables=list(SANDBOX_TABLES))
    finally:
        engine.dispose()


def _store_settings(settings: Settings) -> Settings:
    # Sandbox state is documented as volatile: no fsync on its commits.
    return settings.model_copy(update={"sqlite_synchronous": "OFF"})


def open_store(settings: Settings, main_db: Database) -> SandboxStore:
    if settings.sandbox_persist:
        return SandboxStore(main_db, owns_db=False)
    if settings.sandbox_database_url:
        return SandboxStore(
            Database(settings.sandbox_database_url, _store_settings(settings)), owns_db=True
        )
    directory, url = make_memory_store()
    return SandboxStore(Database(url, _store_settings(settings)), owns_db=True, directory=directory)


def _writable(path: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False
