"""What a SQLite read would see, as a token: the data_version probe of `Database.data_version`."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Hashable

from clawvault.db import sqlite_conn


class SqliteVersionProbe:
    """`PRAGMA data_version` on a connection of its own, run on the calling (event loop) thread:
    in WAL mode it reads the shared WAL index header (no file I/O, microseconds), and its value
    changes whenever any other connection, of this process or another, has committed since the
    previous call. This connection never writes, so every commit is another connection's.

    The token is (incarnation, data_version): a reopened connection starts a new sequence."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.incarnation = 0

    def token(self) -> Hashable | None:
        try:
            if self.conn is None:
                # No busy timeout: a reader is only blocked while WAL recovery runs; then the
                # caller does without a token (an uncached read) rather than stall the loop.
                self.conn = sqlite_conn.connect_existing(self.path)
                self.incarnation += 1
            row = self.conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            self.close()
            return None
        return (self.incarnation, row[0])

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self.conn = None
