"""The inventory answer cache: the same bodies as without it, and never stale (a commit that
finished before a request, by this process or another, connection or process, shows in it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from clawvault.app import create_app
from clawvault.core.pagination import encode_cursor
from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.models import Card, Partner
from clawvault.inventory.cache import AnswerCache, cache_for
from clawvault.inventory.presenters import item_json
from clawvault.inventory.repository import item_select
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, make_pack, make_partner, run

API = "/api/v1"


def _cache_size(client: TestClient) -> int:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    cache = cache_for(runtime.db, runtime.settings.inventory_cache_bytes)
    assert cache is not None
    return len(cache)


@pytest.fixture
def holder(client: TestClient, settings: Settings, clock: FakeClock) -> PartnerKeys:
    """A partner whose user alice holds 7 items (bought in three pulls)."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock, cards_per_tier=20)
    for amount in (3, 2, 2):
        clock.advance(seconds=1)
        bought = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": amount, "user_id": "alice"},
        )
        assert bought.status_code == 200, bought.text
    return partner


def _requests(client: TestClient, partner: PartnerKeys) -> list[tuple[int, bytes]]:
    """Every shape of inventory request: whole, pages (following the cursors), unknown user."""
    h = partner.headers
    answers = []
    for _ in range(2):  # the second time from the cache
        for path, params in (
            ("alice", {}),
            ("nobody", {}),
            ("nobody", {"limit": "2"}),
            ("alice", {"limit": "100"}),
        ):
            got = client.get(f"{API}/inventory/{path}", headers=h, params=params)
            answers.append((got.status_code, got.content))
        cursor = None
        while True:
            params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{API}/inventory/alice", headers=h, params=params)
            answers.append((page.status_code, page.content))
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
    return answers


@pytest.fixture
def uncached_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    off = settings.model_copy(update={"inventory_cache_bytes": 0})
    app = create_app(off, clock=clock, randomness=SeededRandomness(1))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_cached_answers_are_the_uncached_bodies(
    client: TestClient, uncached_client: TestClient, holder: PartnerKeys
) -> None:
    cached = _requests(client, holder)
    assert _cache_size(client) == 5  # whole, limit 100, three pages of 3 (404s are not kept)
    assert cached == _requests(uncached_client, holder)
    statuses = [status for status, _ in cached]
    assert statuses.count(404) == 4 and statuses.count(200) == len(cached) - 4
    assert cached[: len(cached) // 2] == cached[len(cached) // 2 :]


def _rename_held_cards(settings: Settings, name: str) -> None:
    """Renames alice's cards through a Database (so connections) of its own."""

    async def work(runtime: Runtime) -> None:
        async with runtime.db.write() as conn:
            await conn.execute(update(Card).where(Card.owner_user_id == "alice").values(name=name))

    run(settings, work)


def _names(client: TestClient, partner: PartnerKeys, params: dict[str, str]) -> set[str]:
    got = client.get(f"{API}/inventory/alice", headers=partner.headers, params=params)
    assert got.status_code == 200
    return {i["content"]["metadata"]["name"] for i in got.json()["items"]}


@pytest.mark.parametrize("params", [{}, {"limit": "4"}])
def test_a_commit_on_another_connection_shows_at_once(
    client: TestClient, settings: Settings, holder: PartnerKeys, params: dict[str, str]
) -> None:
    for round_ in range(5):
        _names(client, holder, params)  # cached now
        _names(client, holder, params)
        _rename_held_cards(settings, f"renamed {round_}")
        assert _names(client, holder, params) == {f"renamed {round_}"}
    assert _cache_size(client) == 1


RENAME_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from sqlalchemy import update
    from clawvault.db.engine import Database
    from clawvault.db.models import Card
    from clawvault.settings import Settings

    async def main(url: str, name: str) -> None:
        db = Database(url, Settings(database_url=url))
        try:
            async with db.write() as conn:
                await conn.execute(
                    update(Card).where(Card.owner_user_id == "alice").values(name=name)
                )
        finally:
            await db.dispose()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_a_commit_by_another_process_shows_at_once(
    client: TestClient, settings: Settings, holder: PartnerKeys
) -> None:
    for round_ in range(3):
        _names(client, holder, {})
        _names(client, holder, {})
        subprocess.run(
            [sys.executable, "-c", RENAME_SCRIPT, settings.database_url, f"other process {round_}"],
            check=True,
            timeout=60,
        )
        assert _names(client, holder, {}) == {f"other process {round_}"}


def test_sellbacks_and_pulls_of_this_process_show_at_once(
    client: TestClient, settings: Settings, holder: PartnerKeys
) -> None:
    h = holder.headers

    def held() -> list[str]:
        got = client.get(f"{API}/inventory/alice", headers=h)
        again = client.get(f"{API}/inventory/alice", headers=h)
        assert got.content == again.content
        return [i["id"] for i in got.json()["items"]]

    items = held()
    assert len(items) == 7
    for item_id in items[:3]:
        sold = client.post(f"{API}/vm/buyback", headers=h, json={"item_id": item_id})
        assert sold.status_code == 200, sold.text
        assert item_id not in held()
    assert len(held()) == 4

    async def pack_of(runtime: Runtime) -> str:
        async with runtime.db.read() as conn:
            pack_id = (await conn.execute(select(Card.pack_id).limit(1))).scalar_one()
        return str(pack_id)

    pack_id = run(settings, pack_of)
    bought = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 2, "user_id": "alice"}
    )
    assert bought.status_code == 200, bought.text
    now_held = held()
    assert len(now_held) == 6
    assert {n["id"] for n in bought.json()["nfts"]} <= set(now_held)
    # A user who appears later was unknown before: 404s are never kept.
    assert client.get(f"{API}/inventory/bob", headers=h).status_code == 404
    bob = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": "bob"}
    )
    assert bob.status_code == 200, bob.text
    assert len(client.get(f"{API}/inventory/bob", headers=h).json()["items"]) == 1


def test_sandbox_inventories_are_not_cached(client: TestClient, holder: PartnerKeys) -> None:
    sandbox = {"X-API-Key": holder.sandbox_key}
    assert client.get(f"/_{API}/inventory/alice", headers=sandbox).status_code == 404
    assert _cache_size(client) == 0


def test_the_cache_holds_at_most_its_item_budget() -> None:
    cache = AnswerCache(max_bytes=100)
    for user in range(30):
        cache.put(("p", user), "v1", {"items": list(range(5))}, 5)
        assert cache.bytes <= 100
    assert len(cache) == 20 and cache.bytes == 100
    assert cache.get(("p", 0), "v1") is None  # the least recently used went first
    assert cache.get(("p", 29), "v1") is not None
    cache.get(("p", 10), "v1")  # used: kept over 11 when room is needed
    cache.put(("p", "new"), "v1", {"items": []}, 1)
    assert cache.get(("p", 10), "v1") is not None and cache.get(("p", 11), "v1") is None
    # An answer larger than a tenth of the budget is never kept.
    cache.put(("p", "whale"), "v1", {"items": list(range(11))}, 11)
    assert cache.get(("p", "whale"), "v1") is None
    # Another token: the data may have changed, the answer is dropped.
    assert cache.get(("p", 29), "v2") is None and cache.get(("p", 29), "v1") is None
    # No token (freshness unknown): nothing is served or kept.
    cache.put(("p", "x"), None, {"items": []}, 1)
    assert cache.get(("p", "x"), None) is None and cache.get(("p", "x"), "v1") is None


def _reference_bodies(settings: Settings, partner: PartnerKeys, limit: int) -> list[bytes]:
    """The bodies as the SQLAlchemy statements and item_json give them (the code before the lean
    read): the whole inventory, then its pages of `limit`."""

    async def work(runtime: Runtime) -> list[bytes]:
        async with runtime.db.read() as conn:
            partner_id = (
                await conn.execute(select(Partner.id).where(Partner.name == partner.name))
            ).scalar_one()
            rows = (
                (
                    await conn.execute(
                        item_select()
                        .where(
                            Card.owner_partner_id == partner_id,
                            Card.owner_user_id == "alice",
                            Card.status == "held",
                        )
                        .order_by(Card.purchased_at.desc(), Card.id)
                    )
                )
                .mappings()
                .all()
            )
        items = [item_json(r) for r in rows]
        bodies = [orjson.dumps({"user_id": "alice", "items": items})]
        for start in range(0, len(rows), limit):
            more = start + limit < len(rows)
            last = rows[start + limit - 1] if more else None
            cursor = (
                encode_cursor([as_utc(last["purchased_at"]).isoformat(), last["id"]])
                if last is not None
                else None
            )
            page = {
                "user_id": "alice",
                "items": items[start : start + limit],
                "next_cursor": cursor,
            }
            bodies.append(orjson.dumps(page))
        return bodies

    return run(settings, work)


def test_the_lean_read_gives_the_statements_answers(
    client: TestClient,
    uncached_client: TestClient,
    settings: Settings,
    clock: FakeClock,
    holder: PartnerKeys,
) -> None:
    """Ties in purchase time, no sellback window (a null expiry), and on SQLite a time stored
    without microseconds (not SQLAlchemy's format, read as SQLAlchemy reads it)."""
    pack_id = make_pack(settings, clock=clock, window_seconds=None, cards_per_tier=5)
    bought = client.post(
        f"{API}/vm/buy/init",
        headers=holder.headers,
        json={"id": pack_id, "amount": 4, "user_id": "alice"},
    )
    assert bought.status_code == 200, bought.text
    assert bought.json()["nfts"][0]["buyback_expires_at"] is None

    async def odd_time(runtime: Runtime) -> None:
        async with runtime.db.write() as conn:
            held = (
                await conn.execute(select(Card.id).where(Card.owner_user_id == "alice").limit(1))
            ).scalar_one()
            if not runtime.db.is_postgres:
                await conn.execute(
                    text("UPDATE cards SET purchased_at = '2026-11-27 12:00:05' WHERE id = :id"),
                    {"id": held},
                )

    run(settings, odd_time)
    expected = _reference_bodies(settings, holder, 4)
    assert len(expected) == 1 + 3  # 11 items: pages of 4, 4, 3
    for test_client in (client, uncached_client, client):
        got = [test_client.get(f"{API}/inventory/alice", headers=holder.headers).content]
        cursor = None
        while True:
            params = {"limit": "4", **({"cursor": cursor} if cursor else {})}
            page = test_client.get(f"{API}/inventory/alice", headers=holder.headers, params=params)
            got.append(page.content)
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert got == expected
