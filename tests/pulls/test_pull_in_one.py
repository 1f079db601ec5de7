"""PostgreSQL: a pull of a user who has a seed is one statement (`pulls.in_one`),
in autocommit or in the transaction of what commits with it: it writes what the pull card by
card writes, or nothing at all, and then the pull goes card by card in a transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from clawvault.core.runtime import Runtime
from clawvault.db.models import (
    Card,
    FairnessSeed,
    LedgerEntry,
    Pull,
    PurchaseSession,
    User,
)
from clawvault.fairness.domain import DrawStream
from clawvault.packs.domain import buyback_cents
from clawvault.pulls.errors import OutOfStock
from clawvault.pulls.in_one import rounds as in_one_rounds
from clawvault.pulls.in_one import statement as in_one_statement
from clawvault.pulls.repository import PackForPull, PullRepository
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, add_endpoint, make_pack, make_partner, run

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

BPS = 8_300  # not the default: the statement's buyback price must use the pack's


@pytest.fixture(autouse=True)
def partner(settings: Settings) -> PartnerKeys:
    return make_partner(settings)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each pull_in_one of the test wrote the pull (the real method, observed)."""
    seen: list[bool] = []
    real = in_one_statement.run

    async def observed(*args: Any, **kwargs: Any) -> Any:
        rows = await real(*args, **kwargs)
        seen.append(rows is not None)
        return rows

    monkeypatch.setattr(in_one_statement, "run", observed)
    return seen


def pull(client: TestClient, partner: PartnerKeys, pack_id: str, amount: int, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/vm/buy/init",
        json={"id": pack_id, "amount": amount, "user_id": "alice"},
        headers={**partner.headers, **headers},
    )


def counts(settings: Settings) -> dict[str, Any]:
    async def work(runtime: Runtime) -> dict[str, Any]:
        async with runtime.db.read() as conn:
            out: dict[str, Any] = {}
            for table in (Pull, PurchaseSession, LedgerEntry, User):
                out[table.__tablename__] = await conn.scalar(
                    select(func.count()).select_from(table)
                )
            out["held"] = await conn.scalar(
                select(func.count()).select_from(Card).where(Card.owner_user_id.is_not(None))
            )
            out["next_nonce"] = await conn.scalar(select(FairnessSeed.next_nonce))
            return out

    return run(settings, work)


def test_a_pull_of_a_user_with_a_seed_writes_in_one_statement_what_a_transaction_writes(
    clock: FakeClock,
    client: TestClient,
    settings: Settings,
    partner: PartnerKeys,
    calls: list[bool],
) -> None:
    pack_id = make_pack(settings, cards_per_tier=40, max_per_mint=10, buyback_bps=BPS, clock=clock)
    first = pull(client, partner, pack_id, 1)  # no seed yet: in a transaction, which commits one
    assert first.status_code == 200, first.text
    assert calls == []
    second = pull(client, partner, pack_id, 3)
    assert second.status_code == 200, second.text
    assert calls == [True]
    body = second.json()
    assert len(body["nfts"]) == 3

    async def work(runtime: Runtime) -> tuple[Any, list[Any], list[Any], Any]:
        async with runtime.db.read() as conn:
            seed = (await conn.execute(select(FairnessSeed))).mappings().one()
            rows = (
                (await conn.execute(select(Pull).order_by(Pull.session_id, Pull.position)))
                .mappings()
                .all()
            )
            cards = await conn.execute(select(Card).where(Card.owner_user_id == "alice"))
            entries = (await conn.execute(select(LedgerEntry))).mappings().all()
            session = (
                (
                    await conn.execute(
                        select(PurchaseSession).where(PurchaseSession.id == body["session_id"])
                    )
                )
                .mappings()
                .one()
            )
            return seed, list(rows), list(cards.mappings().all()), (entries, session)

    seed, rows, cards, (entries, session) = run(settings, work)
    assert seed["next_nonce"] == 4  # the first pull's nonce 0, then 1, 2, 3
    mine = [r for r in rows if r["session_id"] == body["session_id"]]
    assert [r["position"] for r in mine] == [0, 1, 2]
    assert [r["card_id"] for r in mine] == [nft["id"] for nft in body["nfts"]]
    draws = DrawStream(seed, 1)
    by_id = {c["id"]: c for c in cards}
    for row in mine:
        draw = draws.next()
        card = by_id[row["card_id"]]
        assert (row["seed_id"], row["nonce"], row["draw"], row["drawn_key"]) == (
            seed["id"],
            draw.nonce,
            draw.u,
            draw.key,
        )
        assert row["card_key"] == card["pool_key"] >= draw.key
        assert row["value_cents"] == card["fmv_cents"]
        assert row["buyback_price_cents"] == buyback_cents(card["fmv_cents"], BPS)
        assert card["session_id"] == body["session_id"]
        assert card["status"] == "held"
        assert row["tier_id"] == card["tier_id"]
    # The same shape of rows as the first pull's, written in a transaction.
    (earlier,) = [r for r in rows if r["session_id"] == first.json()["session_id"]]
    assert {k for k, v in earlier.items() if v is None} == {
        k for k, v in mine[0].items() if v is None
    }
    assert session["amount"] == 3 and session["price_cents"] == 3_000
    assert session["odds_canonical"] is not None
    charges = sorted(e["amount_cents"] for e in entries)
    assert charges == [-3_000, -1_000]
    assert {e["reference"] for e in entries} == {first.json()["session_id"], body["session_id"]}


def in_one(settings: Settings, pack_id: str, draws: list[dict[str, Any]], nonce: int) -> Any:
    async def work(runtime: Runtime) -> Any:
        return await in_one_on(runtime, pack_id, draws, nonce)

    return run(settings, work)


async def in_one_on(runtime: Runtime, pack_id: str, draws: list[dict[str, Any]], nonce: int) -> Any:
    """pulls.in_one.statement.run of alice's draws from her seed at `nonce`."""
    async with runtime.db.autocommit_engine.connect() as conn:
        seed = (await conn.execute(select(FairnessSeed))).mappings().one()
        now = FakeClock()()
        holder = {
            "partner_id": 1,
            "user_id": "alice",
            "session_id": "s-in-one",
            "now": now,
            "expires_at": None,
        }
        session = {
            "id": "s-in-one",
            "partner_id": 1,
            "user_id": "alice",
            "pack_id": pack_id,
            "amount": len(draws),
            "price_cents": 1_000 * len(draws),
            "public_id": "p",
            "tx_hash": "t",
            "odds_canonical": "{}",
            "created_at": now,
        }
        entry = {
            "partner_id": 1,
            "kind": "pull",
            "amount_cents": -1_000 * len(draws),
            "reference": "s-in-one",
            "user_id": "alice",
            "created_at": now,
        }
        return await in_one_statement.run(
            conn, pack_id, draws, {**seed, "next_nonce": nonce}, BPS, holder, session, entry
        )


def keys_in_pool(settings: Settings, pack_id: str) -> list[tuple[int, int]]:
    async def work(runtime: Runtime) -> list[tuple[int, int]]:
        async with runtime.db.read() as conn:
            query = select(Card.pool_key, Card.tier_id).where(
                Card.pack_id == pack_id, Card.status == "available"
            )
            rows = (await conn.execute(query)).tuples().all()
            return sorted((key, tier or 0) for key, tier in rows)

    return run(settings, work)


def keys_and_ids(settings: Settings, pack_id: str) -> list[tuple[int, str]]:
    """The available cards' (pool_key, id), in pool order."""

    async def work(runtime: Runtime) -> list[tuple[int, str]]:
        async with runtime.db.read() as conn:
            query = select(Card.pool_key, Card.id).where(
                Card.pack_id == pack_id, Card.status == "available"
            )
            return sorted((key, card_id) for key, card_id in (await conn.execute(query)).all())

    return run(settings, work)


def draw(key: int, tier_id: int, nonce: int) -> dict[str, Any]:
    return {"tier_id": tier_id, "key": key, "unit": 0.5, "nonce": nonce}


def test_a_seed_that_moved_on_writes_nothing(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=20, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    before = counts(settings)
    (key, tier), (key2, _t) = keys_in_pool(settings, pack_id)[:2]
    # Drawn from nonce 0, which the first pull spent: nothing is written.
    assert in_one(settings, pack_id, [draw(key, tier, 0)], nonce=0) is None
    assert counts(settings) == before
    # From nonce 1 the same statement writes the pull.
    rows = in_one(settings, pack_id, [draw(key, tier, 1), draw(key2, tier, 2)], nonce=1)
    assert rows is not None and len(rows) == 2
    after = counts(settings)
    assert after["next_nonce"] == before["next_nonce"] + 2 == 3
    assert after["pulls"] == before["pulls"] + 2
    assert after["held"] == before["held"] + 2
    assert (after["purchase_sessions"], after["ledger_entries"]) == (
        before["purchase_sessions"] + 1,
        before["ledger_entries"] + 1,
    )


def test_draws_meeting_at_one_card_write_nothing(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=20, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200
    before = counts(settings)
    (key, tier) = keys_in_pool(settings, pack_id)[3]
    assert in_one(settings, pack_id, [draw(key, tier, 1), draw(key, tier, 2)], nonce=1) is None
    assert counts(settings) == before


def test_a_draw_past_the_last_card_takes_the_first_as_a_claim_does(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=20, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200
    pool = keys_in_pool(settings, pack_id)
    (first, tier), last = pool[0], pool[-1][0]
    rows = in_one(settings, pack_id, [draw(last + 1, tier, 1), draw(pool[5][0], tier, 2)], nonce=1)
    assert rows is not None
    assert [row["pool_key"] for row in rows] == [first, pool[5][0]]
    # Both draws past the last card: both would take the first card, so nothing is written.
    before = counts(settings)
    assert in_one(settings, pack_id, [draw(last + 1, tier, 3), draw(last + 2, tier, 4)], 3) is None
    assert counts(settings) == before


def test_pulls_that_cannot_be_one_statement_go_card_by_card(
    clock: FakeClock,
    client: TestClient,
    settings: Settings,
    partner: PartnerKeys,
    calls: list[bool],
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=12, clock=clock)
    # No seed yet: card by card, in the transaction that commits the seed.
    assert pull(client, partner, pack_id, 1).status_code == 200
    assert calls == []
    # An idempotency record commits with its pull: the statement runs in their transaction.
    keyed = pull(client, partner, pack_id, 1, **{"Idempotency-Key": "k-1"})
    assert keyed.status_code == 200, keyed.text
    assert calls == [True]
    again = pull(client, partner, pack_id, 1, **{"Idempotency-Key": "k-1"})
    assert (again.status_code, again.content) == (200, keyed.content)
    assert again.headers.get("idempotent-replayed") == "true"
    # The ten cards left, for ten draws: whatever the statement could not take, the
    # transaction does (card by card), and the user holds the whole pool.
    rest = pull(client, partner, pack_id, 10)
    assert rest.status_code == 200, rest.text
    assert calls == [True, False]
    assert counts(settings)["held"] == 12
    # Out of stock: refused before any write (no statement to try).
    empty = pull(client, partner, pack_id, 1)
    assert (empty.status_code, empty.json()) == (400, {"error": OutOfStock.message}), empty.text
    assert len(calls) == 2


def test_each_draw_takes_the_first_card_at_or_after_its_key_in_draw_order(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=21, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    cards = keys_and_ids(settings, pack_id)
    # Keys just past cards 4, 0 and 11 (and card 17's own key): draws out of pool order.
    keys = [cards[4][0] + 1, cards[0][0] + 1, cards[11][0] + 1, cards[17][0]]
    tier = keys_in_pool(settings, pack_id)[0][1]
    rows = in_one(settings, pack_id, [draw(k, tier, n) for n, k in enumerate(keys, 1)], 1)
    assert rows is not None
    assert [row["id"] for row in rows] == [cards[5][1], cards[1][1], cards[12][1], cards[17][1]]


def test_a_card_locked_by_a_pull_in_flight_is_skipped(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=21, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    cards = keys_and_ids(settings, pack_id)
    tier = keys_in_pool(settings, pack_id)[0][1]

    async def work(runtime: Runtime) -> list[str] | None:
        async with runtime.db.write() as bob:
            held = await PullRepository(bob).claim_card(
                pack_id,
                tier,
                cards[6][0],
                partner_id=1,
                user_id="bob",
                session_id="s-bob",
                now=FakeClock()(),
                expires_at=None,
            )
            assert held is not None and held["id"] == cards[6][1]
            draws = [draw(cards[6][0], tier, 1), draw(cards[9][0], tier, 2)]
            rows = await in_one_on(runtime, pack_id, draws, 1)
        return None if rows is None else [row["id"] for row in rows]

    # Bob's card is still available to the statement's snapshot, but locked: skipped, as the
    # card-by-card claim skips it.
    assert run(settings, work) == [cards[7][1], cards[9][1]]


def test_a_pull_whose_draws_meet_still_gets_every_card(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=11, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    # Ten draws over ten cards: some draws meet at one card, so the pull goes card by card,
    # and takes the whole pool.
    response = pull(client, partner, pack_id, 10)
    assert response.status_code == 200, response.text
    assert counts(settings)["held"] == 11


def test_pulls_in_flight_read_their_packs_and_seeds_in_one_round_as_each_alone(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    full = make_pack(settings, buyback_bps=BPS, clock=clock)
    drained = make_pack(
        settings, tiers=((100, 500, 1.0), (500, 900, 1.0)), cards_per_tier=(1, 0), clock=clock
    )
    assert pull(client, partner, full, 2).status_code == 200  # alice has a seed at nonce 2

    def seen(found: tuple[PackForPull | None, Any]) -> Any:
        pack, seed = found
        return (None if pack is None else vars(pack), seed and dict(seed))

    async def work(runtime: Runtime) -> tuple[list[Any], list[Any], int]:
        async with runtime.db.write() as conn:
            partner_id = await conn.scalar(select(User.partner_id).where(User.user_id == "alice"))
            assert partner_id is not None
            await add_endpoint(conn, partner_id, "sandbox", ["pull.fulfilled"])
        asks = [
            (full, partner_id, "production", "alice"),
            (full, partner_id, "production", "bob"),  # no seed
            ("no-such-pack", partner_id, "production", "alice"),
            (drained, partner_id, "production", "alice"),  # a tier without stock
            (full, partner_id, "sandbox", "alice"),  # an endpoint there
            (full, partner_id + 1, "production", "alice"),  # another partner's alice
        ]
        rounds = in_one_rounds.pull_rounds(runtime.db)
        before = rounds.reads.rounds
        together = await asyncio.gather(*(rounds.pack_and_seed(*ask) for ask in asks))
        sent = rounds.reads.rounds - before
        async with runtime.db.autocommit_engine.connect() as alone_conn:
            alone = [await in_one_rounds.pack_and_seed(alone_conn, *ask) for ask in asks]
        return [seen(f) for f in together], [seen(f) for f in alone], sent

    together, alone, sent = run(settings, work)
    assert together == alone
    assert sent == 1
    first, no_seed, unknown, drained_pack, with_endpoint, stranger = together
    assert first[1]["next_nonce"] == 2 and first[0]["has_endpoints"] is False
    assert no_seed[1] is None and unknown == (None, None) and stranger[1] is None
    assert drained_pack[0]["has_an_empty_tier"] is True
    assert with_endpoint[0]["has_endpoints"] is True


def test_the_statement_locks_the_seed_before_any_card(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    """As a pull in a transaction takes them (nonces, then cards): the statement waiting for the
    seed holds no card, so a transaction holding the seed and then locking the cards is not a
    deadlock (it was, the statement taking its card first: one of the two rolled back)."""
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=3, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    (key, tier) = keys_in_pool(settings, pack_id)[0]

    async def work(runtime: Runtime) -> tuple[list[str], Any]:
        async with runtime.db.engine.connect() as holder:
            await holder.execute(text("SET lock_timeout = '20s'"))
            await holder.execute(text("UPDATE fairness_seeds SET next_nonce = next_nonce"))
            statement = asyncio.create_task(in_one_on(runtime, pack_id, [draw(key, tier, 1)], 1))
            await asyncio.sleep(0.5)  # the statement is waiting for the seed
            assert not statement.done()
            locked = await holder.execute(
                select(Card.id)
                .where(Card.pack_id == pack_id, Card.status == "available")
                .with_for_update()
            )
            cards = list(locked.scalars())
            await holder.rollback()
        return cards, await statement

    cards, rows = run(settings, work)
    assert len(cards) == 2  # every card left, the statement's included: nothing held them
    assert rows is not None and [row["pool_key"] for row in rows] == [key]


def test_a_pull_whose_statement_is_a_deadlocks_victim_is_pulled_in_a_transaction(
    clock: FakeClock,
    client: TestClient,
    settings: Settings,
    partner: PartnerKeys,
    calls: list[bool],
) -> None:
    """A deadlock the statement takes part in (here: it waits for a row another transaction
    is inserting, which then waits for the seed the statement holds) rolls it back: nothing
    was written, and the pull runs again in a transaction instead of failing."""
    pack_id = make_pack(settings, tiers=((100, 10_000, 1.0),), cards_per_tier=5, clock=clock)
    assert pull(client, partner, pack_id, 1).status_code == 200  # alice's seed, at nonce 1
    before = counts(settings)

    async def work(runtime: Runtime) -> Any:
        async with runtime.db.engine.connect() as other:
            # A pull row of nonce 1, uncommitted: the statement's own nonce-1 row waits for it.
            await other.execute(
                text(
                    "INSERT INTO pulls (session_id, position, card_id, pack_id, partner_id,"
                    " user_id, tier_id, draw, seed_id, nonce, drawn_key, card_key, value_cents,"
                    " buyback_price_cents, created_at) SELECT session_id, 99, card_id, pack_id,"
                    " partner_id, user_id, tier_id, draw, seed_id, 1, drawn_key, card_key,"
                    " value_cents, buyback_price_cents, created_at FROM pulls WHERE nonce = 0"
                )
            )
            answer = asyncio.create_task(asyncio.to_thread(pull, client, partner, pack_id, 1))
            await asyncio.sleep(0.5)  # the statement holds the seed, waiting for that row
            assert not answer.done()
            # Waiting for the seed closes the cycle; the statement, waiting longer, is the one
            # PostgreSQL rolls back (deadlock_timeout: 1 s).
            await other.execute(text("UPDATE fairness_seeds SET next_nonce = next_nonce"))
            await other.rollback()
        return await answer

    answer = run(settings, work)
    assert answer.status_code == 200, answer.text
    assert calls == []  # the statement raised: no rows, no None
    after = counts(settings)
    assert after["next_nonce"] == before["next_nonce"] + 1 == 2
    assert (after["pulls"], after["held"]) == (before["pulls"] + 1, before["held"] + 1)
