"""Where sandbox state lives: in memory by default (gone after a restart, shared by the
workers of one server), in the main database with CLAWVAULT_SANDBOX_PERSIST=1."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.sandbox.store import make_memory_store
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner
from tests.sandbox.helpers import SB, buy, headers


def start(settings: Settings, clock: FakeClock) -> TestClient:
    return TestClient(
        create_app(settings, clock=clock, randomness=SeededRandomness(1)),
        raise_server_exceptions=False,
    )


def test_memory_state_is_gone_after_a_restart(settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    with start(settings, clock) as first:
        store = first.app.state.runtime.sandbox_db  # type: ignore[attr-defined]
        directory = Path(store.url.removeprefix("sqlite:///")).parent
        assert directory.is_dir()
        buy(first, partner.sandbox_key, pack_id)
    assert not directory.exists()  # deleted at shutdown
    with start(settings, clock) as second:
        answer = second.get(f"{SB}/inventory/alice", headers=headers(partner.sandbox_key))
        assert (answer.status_code, answer.json()) == (404, {"error": "User not found"})


def test_persistent_state_survives_a_restart(settings: Settings, clock: FakeClock) -> None:
    persistent = settings.model_copy(update={"sandbox_persist": True})
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    with start(persistent, clock) as first:
        nft = buy(first, partner.sandbox_key, pack_id)["nfts"][0]
    with start(persistent, clock) as second:
        items = second.get(f"{SB}/inventory/alice", headers=headers(partner.sandbox_key)).json()
        assert [i["id"] for i in items["items"]] == [nft["id"]]


def test_workers_of_one_server_share_the_memory_store(settings: Settings, clock: FakeClock) -> None:
    """`clawvault serve --workers N` creates one store and gives its URL to every worker."""
    directory, url = make_memory_store()
    shared = settings.model_copy(update={"sandbox_database_url": url})
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    try:
        with start(shared, clock) as worker_a, start(shared, clock) as worker_b:
            nft = buy(worker_a, partner.sandbox_key, pack_id)["nfts"][0]
            sold = worker_b.post(
                f"{SB}/vm/buyback",
                headers=headers(partner.sandbox_key),
                json={"item_id": nft["id"]},
            )
            assert sold.json() == {"success": True, "amount": nft["buyback_price"]}
        assert directory.is_dir()  # workers never delete the server's store
    finally:
        shutil.rmtree(directory)
