"""A randomized sequence of thousands of operations, then invariants 1-5 by SQL, and the API's
view compared with a model kept by the test."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient

from clawvault.db.models import OrderStatus
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.invariants import balances, violations
from tests.test_flow import advance

API = "/api/v1"


def test_random_operations_keep_every_invariant(
    clock: FakeClock, client: TestClient, settings: Settings
) -> None:
    rng = random.Random(99)
    partners = [make_partner(settings) for _ in range(2)]
    packs = [
        make_pack(settings, cards_per_tier=(200, 120, 60), max_per_mint=3, seed=s, clock=clock)
        for s in range(2)
    ]
    held: dict[tuple[int, str], set[str]] = {}
    orders: list[tuple[int, str, list[str], str]] = []  # partner, order, items, user
    expected_balance = [0, 0]
    counts = {"pull": 0, "sellback": 0, "order": 0, "advance": 0, "refused": 0}

    for _ in range(1500):
        p = rng.randrange(2)
        partner = partners[p]
        user = f"user-{rng.randrange(4)}"
        mine = held.setdefault((p, user), set())
        roll = rng.random()
        if roll < 0.45 or not mine:
            amount = rng.randint(1, 3)
            r = client.post(
                f"{API}/vm/buy/init",
                headers=partner.headers,
                json={"id": rng.choice(packs), "amount": amount, "user_id": user},
            )
            if r.status_code == 200:
                mine.update(n["id"] for n in r.json()["nfts"])
                expected_balance[p] -= 1000 * amount
                counts["pull"] += 1
            else:
                assert r.json() == {"error": "Claw machine is out of stock"}
                counts["refused"] += 1
        elif roll < 0.75:
            item = rng.choice(sorted(mine))
            r = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item})
            assert r.status_code == 200, r.text
            mine.discard(item)
            expected_balance[p] += round(r.json()["amount"] * 100)
            counts["sellback"] += 1
        elif roll < 0.9:
            items = rng.sample(sorted(mine), k=min(len(mine), rng.randint(1, 3)))
            q = client.post(
                f"{API}/ship/quote",
                headers=partner.headers,
                json={"item_ids": items, "destination": ADDRESS},
            )
            assert q.status_code == 200, q.text
            rate = rng.choice(q.json()["quotes"])
            r = client.post(
                f"{API}/ship/request", headers=partner.headers, json={"quote_id": rate["id"]}
            )
            assert r.status_code == 200, r.text
            mine.difference_update(items)
            orders.append((p, r.json()["order_id"], items, user))
            expected_balance[p] -= round(rate["amount"] * 100)
            counts["order"] += 1
        elif orders:
            p, order_id, items, owner = rng.choice(orders)
            target = rng.choice(
                [
                    OrderStatus.PROCESSING,
                    OrderStatus.SHIPPED,
                    OrderStatus.DELIVERED,
                    OrderStatus.CANCELLED,
                ]
            )
            status = client.get(f"{API}/ship/order/{order_id}", headers=partners[p].headers).json()[
                "status"
            ]
            try:
                result = advance(settings, order_id, target)
            except Exception:
                continue  # an illegal move is refused and changes nothing
            counts["advance"] += 1
            if result["status"] == "cancelled" and status != "cancelled":
                held.setdefault((p, owner), set()).update(items)
                expected_balance[p] += round(
                    client.get(f"{API}/ship/order/{order_id}", headers=partners[p].headers).json()[
                        "amount"
                    ]
                    * 100
                )

    assert counts["pull"] > 300 and counts["sellback"] > 150 and counts["order"] > 50, counts
    assert violations(settings) == {}
    for (p, user), items in held.items():
        r = client.get(f"{API}/inventory/{user}", headers=partners[p].headers)
        assert {i["id"] for i in r.json()["items"]} == items
    ledger = balances(settings)
    assert sorted(ledger.values()) == sorted(expected_balance)
