"""A sellback in flight is told apart by the row lock (PostgreSQL NOWAIT → 429); another
partner naming the same item must still get the plain `Item not found`, and must not be able
to make the owner's own sellback fail by locking the row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, make_pack, make_partner
from tests.live import serving
from tests.load import IN_FLIGHT, ITEM_NOT_FOUND

API = "/api/v1"


class RowLock:
    """Another transaction holding a card's row lock, as an in-flight sellback does."""

    def __init__(self, database_url: str, card_id: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(asyncpg.connect(database_url))
        self.loop.run_until_complete(self.conn.execute("BEGIN"))
        self.loop.run_until_complete(
            self.conn.execute("SELECT id FROM cards WHERE id = $1 FOR UPDATE", card_id)
        )

    def release(self) -> None:
        self.loop.run_until_complete(self.conn.execute("ROLLBACK"))
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


def _bought(client: TestClient, partner: PartnerKeys, pack_id: str, user_id: str) -> str:
    """The id of one card of the pack pulled for the partner's user."""
    bought = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 1, "user_id": user_id},
    )
    item_id: str = bought.json()["nfts"][0]["id"]
    return item_id


@pytest.fixture
def postgres_only(database_url: str) -> Iterator[str]:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks with NOWAIT are PostgreSQL's; SQLite serializes writers")
    yield database_url


def test_another_partner_gets_not_found_while_a_sellback_is_in_flight(
    clock: FakeClock, client: TestClient, settings: Settings, postgres_only: str
) -> None:
    owner, stranger = make_partner(settings), make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    item_id = _bought(client, owner, pack_id, "same-user-id")
    lock = RowLock(postgres_only, item_id)
    try:
        theirs = client.post(
            f"{API}/vm/buyback", headers=stranger.headers, json={"item_id": item_id}
        )
        mine = client.post(f"{API}/vm/buyback", headers=owner.headers, json={"item_id": item_id})
    finally:
        lock.release()
    assert (theirs.status_code, theirs.json()) == (400, {"error": ITEM_NOT_FOUND})
    assert (mine.status_code, mine.json()) == (429, {"error": IN_FLIGHT})


def test_selling_back_a_pooled_card_that_a_pull_is_claiming_is_not_found(
    clock: FakeClock, client: TestClient, settings: Settings, postgres_only: str
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    item_id = _bought(client, partner, pack_id, "u")
    sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
    assert sold.status_code == 200
    lock = RowLock(postgres_only, item_id)  # back in the pool, being claimed by a pull
    try:
        again = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
    finally:
        lock.release()
    assert (again.status_code, again.json()) == (400, {"error": ITEM_NOT_FOUND})


def test_concurrent_sellbacks_of_an_item_that_is_not_yours_are_all_not_found(
    settings: Settings,
) -> None:
    owner, stranger = make_partner(settings), make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)

    async def race() -> list[tuple[int, object]]:
        async with (
            serving(create_app(settings)) as base,
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            bought = await http.post(
                f"{API}/vm/buy/init",
                headers=owner.headers,
                json={"id": pack_id, "amount": 1, "user_id": "u"},
            )
            item_id = bought.json()["nfts"][0]["id"]
            replies = await asyncio.gather(
                *(
                    http.post(
                        f"{API}/vm/buyback", headers=stranger.headers, json={"item_id": item_id}
                    )
                    for _ in range(16)
                )
            )
        return [(r.status_code, r.json()) for r in replies]

    assert asyncio.run(race()) == [(400, {"error": ITEM_NOT_FOUND})] * 16


def test_a_row_lock_held_for_a_moment_delays_the_sellback_but_does_not_refuse_it(
    clock: FakeClock,
    client: TestClient,
    settings: Settings,
    postgres_only: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transaction that is not a sellback (a pull meeting the card) may hold its row for a
    few milliseconds: the sellback tries again rather than answer 429 at once. Here the lock
    goes as soon as the sellback has met it once."""
    import threading

    from clawvault.buyback import in_one
    from clawvault.buyback.repository import BuybackRepository, RowBusy

    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    item_id = _bought(client, partner, pack_id, "quick")
    lock = RowLock(postgres_only, item_id)
    met: list[str] = []

    def meeting_the_lock(original: Any) -> Any:
        async def met_it(on: Any, card_id: str, *args: Any) -> object:  # on: self, or a conn
            try:
                return await original(on, card_id, *args)
            except RowBusy:
                met.append(card_id)
                releasing = threading.Thread(target=lock.release)  # the lock's own event loop
                releasing.start()
                releasing.join()
                raise

        return met_it

    # Either statement may meet it (in autocommit, SELL_IN_ONE is the first).
    for owner, name in ((BuybackRepository, "lock_held_card"), (in_one, "sell_statement")):
        monkeypatch.setattr(owner, name, meeting_the_lock(getattr(owner, name)))
    sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
    assert met == [item_id]
    assert sold.status_code == 200, sold.text
