"""Who is calling: the partner behind X-API-Key, on the environment the path belongs to."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import FastAPI, Request

from clawvault.core.errors import InvalidApiKey
from clawvault.core.runtime import Runtime
from clawvault.db.conn import Conn
from clawvault.db.models import Environment
from clawvault.db.unit import Unit
from clawvault.partners.domain import environment_of_key, hash_api_key
from clawvault.partners.repository import KeyOwner, PartnerRepository

SANDBOX_PATH_PREFIX = "/_/"
KEY_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Caller:
    partner_id: int
    environment: Environment
    # The API key used: sandbox state is kept per sandbox key.
    key_id: int | None = None


class KeyCache:
    """A few seconds of memory of key lookups: a revoked key stops working within that time."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, KeyOwner | None]] = {}

    def get(self, key_hash: str) -> tuple[bool, KeyOwner | None]:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, owner: KeyOwner | None) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl, owner)


def forget_cached_keys(app: FastAPI) -> None:
    """After a revocation: this process forgets every cached key at once (the others within
    KEY_CACHE_SECONDS)."""
    app.state.key_cache = KeyCache()


def path_environment(path: str) -> Environment:
    return Environment.SANDBOX if path.startswith(SANDBOX_PATH_PREFIX) else Environment.PRODUCTION


async def find_caller(key_cache: KeyCache, runtime: Runtime, key: str, path: str) -> Caller | None:
    """The caller behind a key on the environment of a path, or None for an invalid key."""
    environment = path_environment(path)
    if not key or environment_of_key(key) is not environment:
        return None
    key_hash = hash_api_key(key)
    found, owner = key_cache.get(key_hash)
    if not found:

        async def read(conn: Conn) -> KeyOwner | None:
            return await PartnerRepository(conn).find_key_owner(key_hash)

        # The request's unit does not exist yet: its store depends on the caller.
        owner = await Unit(runtime.db).read(read)
        key_cache.put(key_hash, owner)
    if owner is None or owner.environment != environment:
        return None
    return Caller(partner_id=owner.partner_id, environment=environment, key_id=owner.key_id)


async def get_caller(request: Request) -> Caller:
    # No nested dependency (FastAPI's dependency solving was a third of a cached vm/available
    # answer's time) and the path as sent (request.url builds a whole URL).
    state = request.app.state
    caller = await find_caller(
        state.key_cache, state.runtime, request.headers.get("x-api-key", ""), request.scope["path"]
    )
    if caller is None:
        raise InvalidApiKey()
    return caller
