"""SQLite: the WAL copied back into the database file by a thread of each process, outside the
write lock.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit,
and so the lock every process's writes wait behind, also copies the WAL's pages into the
database file and syncs both (measured: 9-13 ms per group commit with it, 4-6 ms without). A
checkpoint needs no write lock, so here a thread does it every `interval` seconds (PASSIVE: it
never waits for readers or writers, and copies what no reader still needs), while the writes
go on. The writers' own automatic checkpoint stays as a backstop, at a WAL ten times longer
(`WRITER_AUTOCHECKPOINT_PAGES`), should this thread fall behind or stop.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

from clawvault.db import sqlite_conn

WRITER_AUTOCHECKPOINT_PAGES = 10_000


class WalCheckpointer:
    def __init__(self, path: str, synchronous: str, interval: float = 0.2) -> None:
        self.path = path
        self.synchronous = synchronous
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="clawvault-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stopping.wait(self.interval):
            try:
                if conn is None:
                    # No busy timeout: another process's checkpoint running, skip this pass.
                    conn = sqlite_conn.connect_existing(self.path)
                    # The checkpoint syncs the WAL and the database file as this says.
                    conn.execute(f"PRAGMA synchronous={self.synchronous}")
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                if conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
                conn = None  # opened again at the next pass
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
