"""Rendered inventory answers, reused while the database provably holds the same data.

An answer is stored with the `Database.data_version` token of the read that built it, and
served again only when `Database.data_version()`, asked by the request itself, returns that
same token: nothing has been committed since that read, so the answer is the one a fresh read
would give. An answer depends on nothing but the database (no clock, no settings), so the token
is all its freshness needs.

An answer is kept rendered: its items as one orjson.Fragment (about 0.7 KiB an item, against
3 KiB or more as dicts), which orjson.dumps copies out as they are. Bounded by the bytes of
all kept answers (least recently used first out); an answer larger than a tenth of the budget
is not kept. One cache per Database (so per process)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any
from weakref import WeakKeyDictionary

from clawvault.db.engine import Database

Answer = dict[str, Any]


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[Hashable, tuple[Hashable, int, Answer]] = OrderedDict()

    def get(self, key: Hashable, token: Hashable | None) -> Answer | None:
        if token is None:
            return None
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[0] != token:
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry[2]

    def put(self, key: Hashable, token: Hashable | None, answer: Answer, size: int) -> None:
        if token is None or size * 10 > self.max_bytes:
            return
        self._drop(key)
        self.entries[key] = (token, size, answer)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, dropped, _) = self.entries.popitem(last=False)
            self.bytes -= dropped

    def _drop(self, key: Hashable) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[1]

    def __len__(self) -> int:
        return len(self.entries)


_CACHES: WeakKeyDictionary[Database, AnswerCache] = WeakKeyDictionary()


def cache_for(db: Database, max_bytes: int) -> AnswerCache | None:
    """The answer cache of this database (None when the settings turn it off)."""
    if max_bytes <= 0:
        return None
    cache = _CACHES.get(db)
    if cache is None:
        cache = _CACHES[db] = AnswerCache(max_bytes)
    return cache
