"""vm/available's per-process copy: one listing at a time, listed again ahead of expiry while
the copy is still served, never older than packs_cache_seconds, forgotten after a change."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.packs import service
from clawvault.settings import Settings
from tests.factories import make_pack, run


class Listings:
    """Counts listings and holds each one until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = 0
        self.release = asyncio.Event()
        real = service._list_available

        async def listing(runtime: Runtime, platform: str, sandbox: bool) -> Any:
            self.started += 1
            await self.release.wait()
            return [*await real(runtime, platform, sandbox), {"listing": self.started}]

        monkeypatch.setattr(service, "_list_available", listing)


def listing_number(body: bytes) -> int:
    return int(orjson.loads(body)[-1]["listing"])


def test_requests_share_one_listing_and_the_copy_is_listed_again_ahead_of_expiry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"packs_cache_seconds": 10.0})
    make_pack(settings, clock=utcnow)
    now = [1000.0]
    monkeypatch.setattr(service, "_monotonic", lambda: now[0])
    listings = Listings(monkeypatch)

    async def work(runtime: Runtime) -> None:
        waiting = [
            asyncio.create_task(service.available_json(runtime, "mainnet")) for _ in range(20)
        ]
        await asyncio.sleep(0.05)
        assert listings.started == 1  # not one per request
        listings.release.set()
        assert {listing_number(body) for body in await asyncio.gather(*waiting)} == {1}

        now[0] += 4  # young: served as is
        assert listing_number(await service.available_json(runtime, "mainnet")) == 1
        assert listings.started == 1
        listings.release.clear()
        now[0] += 2  # past half its age: still served, listed again meanwhile
        assert listing_number(await service.available_json(runtime, "mainnet")) == 1
        assert listing_number(await service.available_json(runtime, "mainnet")) == 1
        await asyncio.sleep(0.05)
        assert listings.started == 2
        listings.release.set()
        await asyncio.sleep(0.05)
        assert listing_number(await service.available_json(runtime, "mainnet")) == 2

        now[0] += 11  # expired: a request waits for a new listing rather than take the old copy
        listings.release.clear()
        late = asyncio.create_task(service.available_json(runtime, "mainnet"))
        await asyncio.sleep(0.05)
        assert not late.done()
        listings.release.set()
        assert listing_number(await late) == 3

        service.forget_listings(runtime)  # a price or catalog change
        assert listing_number(await service.available_json(runtime, "mainnet")) == 4

    run(settings, work)


def test_a_failed_listing_fails_its_requests_and_the_next_request_lists_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"packs_cache_seconds": 10.0})
    make_pack(settings, clock=utcnow)
    attempts: list[int] = []
    real = service._list_available

    async def flaky(runtime: Runtime, platform: str, sandbox: bool) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return await real(runtime, platform, sandbox)

    monkeypatch.setattr(service, "_list_available", flaky)

    async def work(runtime: Runtime) -> None:
        with pytest.raises(RuntimeError):
            await service.available_json(runtime, "mainnet")
        listing = orjson.loads(await service.available_json(runtime, "mainnet"))
        assert len(listing) == 1 and listing[0]["in_stock"] is True
        assert len(attempts) == 2

    run(settings, work)
