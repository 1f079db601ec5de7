"""Provably fair pulls: commitments, receipts, the verifier, published odds."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from clawvault.core.runtime import Runtime
from clawvault.db.models import User
from clawvault.fairness.verify import digest, pick_tier, pool_key, unit_number, verify_receipt
from clawvault.settings import Settings
from tests.factories import FakeClock, PartnerKeys, make_pack, make_partner, run

API = "/api/v1"
ALGORITHM_PAGE = Path(__file__).resolve().parents[2] / "docs" / "fairness" / "algorithm.md"


@pytest.fixture
def partner(settings: Settings) -> PartnerKeys:
    return make_partner(settings)


def pull(
    client: TestClient, partner: PartnerKeys, pack_id: str, user: str, amount: int = 3
) -> dict[str, Any]:
    response = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": amount, "user_id": user},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def receipt(client: TestClient, partner: PartnerKeys, session_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/fairness/receipts/{session_id}", headers=partner.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_commit_pull_rotate_verify(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, clock=clock)
    before = client.get(f"{API}/fairness/users/ann", headers=partner.headers).json()
    assert before["algorithm"] == "clawvault-fair-v1" and before["next_nonce"] == 0
    assert "server_seed" not in before
    session = pull(client, partner, pack_id, "ann")["session_id"]
    sealed = receipt(client, partner, session)
    assert [c["server_seed_hash"] for c in sealed["cards"]] == [before["server_seed_hash"]] * 3
    assert [c["nonce"] for c in sealed["cards"]] == [0, 1, 2]
    assert all(c["server_seed"] is None for c in sealed["cards"])
    assert not any(r.passed for r in verify_receipt(sealed))  # nothing to check it with yet
    assert (
        client.get(f"{API}/fairness/users/ann", headers=partner.headers).json()["next_nonce"] == 3
    )

    rotated = client.post(f"{API}/fairness/users/ann/rotate", headers=partner.headers).json()
    revealed = rotated["revealed"]
    assert revealed["server_seed_hash"] == before["server_seed_hash"]
    assert (
        hashlib.sha256(bytes.fromhex(revealed["server_seed"])).hexdigest()
        == revealed["server_seed_hash"]
    )
    assert rotated["current"]["server_seed_hash"] != before["server_seed_hash"]
    assert rotated["current"]["next_nonce"] == 0

    opened = receipt(client, partner, session)
    assert {c["server_seed"] for c in opened["cards"]} == {revealed["server_seed"]}
    assert all(r.passed for r in verify_receipt(opened)), verify_receipt(opened)
    nfts = client.post(
        f"{API}/vm/buy/status", headers=partner.headers, json={"session_id": session}
    ).json()["result"]["nfts"]
    assert [c["item_id"] for c in opened["cards"]] == [n["id"] for n in nfts]


TAMPERS = [
    ("u", lambda r: r["cards"][0].update(u=r["cards"][0]["u"] / 2)),
    ("nonce", lambda r: r["cards"][1].update(nonce=r["cards"][1]["nonce"] + 7)),
    ("tier", lambda r: r["cards"][0].update(tier_id=r["cards"][0]["tier_id"] % 3 + 1)),
    ("client seed", lambda r: r["cards"][0].update(client_seed="other")),
    ("server seed", lambda r: r["cards"][0].update(server_seed="00" * 32)),
    ("seed hash", lambda r: r["cards"][0].update(server_seed_hash="ab" * 32)),
    (
        "drawn key",
        lambda r: r["cards"][0].update(drawn_key=str(int(r["cards"][0]["drawn_key"]) + 1)),
    ),
    ("fmv", lambda r: r["cards"][0].update(fmv_cents=10**9)),
    (
        "odds",
        lambda r: r.update(
            odds_canonical=r["odds_canonical"].replace('"weight":70.0', '"weight":71.0')
        ),
    ),
    ("algorithm", lambda r: r.update(algorithm="clawvault-fair-v0")),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_any_altered_field_fails(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, clock=clock)
    session = pull(client, partner, pack_id, "bo")["session_id"]
    client.post(f"{API}/fairness/users/bo/rotate", headers=partner.headers)
    genuine = receipt(client, partner, session)
    assert all(r.passed for r in verify_receipt(genuine))
    for name, tamper in TAMPERS:
        altered = copy.deepcopy(genuine)
        tamper(altered)
        assert not all(r.passed for r in verify_receipt(altered)), name


def test_client_seed_and_nonces(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, cards_per_tier=30, clock=clock)
    set_seed = client.post(
        f"{API}/fairness/users/cy/client-seed",
        headers=partner.headers,
        json={"client_seed": "my-own-seed"},
    )
    assert set_seed.status_code == 200 and set_seed.json()["client_seed"] == "my-own-seed"
    for bad in ({}, {"client_seed": ""}, {"client_seed": "x" * 65}, {"client_seed": "a b"}):
        refused = client.post(
            f"{API}/fairness/users/cy/client-seed", headers=partner.headers, json=bad
        )
        assert refused.status_code == 400
    sessions = [pull(client, partner, pack_id, "cy", amount)["session_id"] for amount in (1, 4, 2)]
    client.post(f"{API}/fairness/users/cy/rotate", headers=partner.headers)
    sessions.append(pull(client, partner, pack_id, "cy", 2)["session_id"])
    nonces = [c["nonce"] for s in sessions[:3] for c in receipt(client, partner, s)["cards"]]
    assert nonces == list(range(7))
    assert [c["nonce"] for c in receipt(client, partner, sessions[3])["cards"]] == [0, 1]
    first = receipt(client, partner, sessions[0])
    assert first["cards"][0]["client_seed"] == "my-own-seed"
    assert all(r.passed for r in verify_receipt(first))

    async def repeated(runtime: Runtime) -> int:
        async with runtime.db.read() as conn:
            return int(
                (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM (SELECT seed_id, nonce FROM pulls "
                            "GROUP BY seed_id, nonce HAVING count(*) > 1) AS twice"
                        )
                    )
                ).scalar_one()
            )

    assert run(settings, repeated) == 0


def test_receipts_are_the_partners_own(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    other = make_partner(settings)
    session = pull(client, partner, make_pack(settings, clock=clock), "dee")["session_id"]
    response = client.get(f"{API}/fairness/receipts/{session}", headers=other.headers)
    assert response.status_code == 404 and response.json() == {"error": "Receipt not found"}
    mine = client.get(f"{API}/fairness/users/dee", headers=partner.headers).json()
    theirs = client.get(f"{API}/fairness/users/dee", headers=other.headers).json()
    assert mine["server_seed_hash"] != theirs["server_seed_hash"]


def test_published_odds(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, cards_per_tier=(40, 20, 10), clock=clock)
    for i in range(10):
        pull(client, partner, pack_id, f"u{i}", 2)
    odds = client.get(f"{API}/vm/{pack_id}/odds", headers=partner.headers).json()
    assert odds["algorithm"] == "clawvault-fair-v1"
    tiers = odds["tiers"]
    assert [t["probability"] for t in tiers] == [0.7, 0.25, 0.05]
    assert sum(t["available"] for t in tiers) == 70 - 20
    for window in ("24h", "7d", "all"):
        assert sum(t["realized"][window]["pulls"] for t in tiers) == 20
        assert sum(t["realized"][window]["frequency"] for t in tiers) == pytest.approx(1.0)
    assert hashlib.sha256(odds["odds_canonical"].encode()).hexdigest() == odds["odds_hash"]
    missing = client.get(f"{API}/vm/nope/odds", headers=partner.headers)
    assert missing.status_code == 404 and missing.json() == {"error": "VM not found"}


def test_documented_worked_example_and_a_reimplementation_from_its_text(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    page = ALGORITHM_PAGE.read_text()
    assert "0.7074221987976144" in page and "2926586352394260867" in page
    raw = digest(bytes(range(32)), "lucky", 0)
    assert unit_number(raw) == 0.7074221987976144 and pool_key(raw) == 2926586352394260867
    assert pick_tier(unit_number(raw), [(1, 65.0), (2, 22.0), (3, 9.0), (4, 3.3), (5, 0.7)]) == 2

    # An auditor's own few lines, written from the documentation's steps alone.
    def audit(card: dict[str, Any], odds_canonical: str) -> bool:
        seed = bytes.fromhex(card["server_seed"])
        d = hmac.new(
            seed, f"{card['client_seed']}:{card['nonce']}".encode(), hashlib.sha256
        ).digest()
        u = (int.from_bytes(d[:8], "big") >> 11) / 2**53
        key = int.from_bytes(d[8:16], "big") >> 2
        tiers = sorted(
            (t["id"], t["weight"]) for t in json.loads(odds_canonical) if t["weight"] > 0
        )
        target, running, drawn = u * sum(w for _, w in tiers), 0.0, tiers[-1][0]
        for tier_id, weight in tiers:
            running += weight
            if target < running:
                drawn = tier_id
                break
        return (
            hashlib.sha256(seed).hexdigest() == card["server_seed_hash"]
            and u == card["u"]
            and str(key) == card["drawn_key"]
            and drawn == card["tier_id"]
        )

    session = pull(client, partner, make_pack(settings, clock=clock), "eli", 5)["session_id"]
    client.post(f"{API}/fairness/users/eli/rotate", headers=partner.headers)
    opened = receipt(client, partner, session)
    assert all(audit(card, opened["odds_canonical"]) for card in opened["cards"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_verify_command(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys, tmp_path: Path
) -> None:
    session = pull(client, partner, make_pack(settings, clock=clock), "fox")["session_id"]
    client.post(f"{API}/fairness/users/fox/rotate", headers=partner.headers)
    genuine = receipt(client, partner, session)
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(genuine))
    ok = subprocess.run(
        [sys.executable, "-m", "clawvault", "verify", str(path)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.count(": pass") == 3
    genuine["cards"][2]["tier_id"] = 99
    path.write_text(json.dumps(genuine))
    bad = subprocess.run(
        [sys.executable, "-m", "clawvault", "verify", str(path)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "FAIL" in bad.stdout
    path.write_text("{}")
    junk = subprocess.run(
        [sys.executable, "-m", "clawvault", "verify", str(path)], capture_output=True, text=True
    )
    assert junk.returncode != 0 and "not a clawvault receipt" in junk.stderr


def test_a_refused_pull_adds_no_user_and_spends_no_nonce(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    """PostgreSQL reads the pack, adds the user and reserves the nonces in one statement; a
    pull refused after it (no such pack, too many cards) leaves none of that behind."""
    pack_id = make_pack(settings, max_per_mint=3, clock=clock)
    h = partner.headers
    missing = {"id": "no-such-pack", "amount": 2, "user_id": "newcomer"}
    assert client.post(f"{API}/vm/buy/init", headers=h, json=missing).json() == {
        "error": "VM not found"
    }
    body = {"id": pack_id, "amount": 2, "user_id": "ann"}
    assert client.post(f"{API}/vm/buy/init", headers=h, json=body).status_code == 200
    too_many = {**body, "amount": 4}
    assert client.post(f"{API}/vm/buy/init", headers=h, json=too_many).status_code == 400
    again = client.post(f"{API}/vm/buy/init", headers=h, json=body).json()["session_id"]
    assert [c["nonce"] for c in receipt(client, partner, again)["cards"]] == [2, 3]

    async def users(runtime: Runtime) -> list[str]:
        async with runtime.db.read() as conn:
            return list((await conn.execute(select(User.user_id))).scalars())

    assert run(settings, users) == ["ann"]
