"""Provably fair pulls in the sandbox: a sandbox user's seeds, receipts that verify like
production ones (FMV overrides, clock and forced errors included), reset, independence."""

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
from scipy.stats import chisquare

from clawvault.fairness.verify import odds_hash, verify_receipt
from clawvault.sandbox.domain import Candidate, pick_by_key
from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner
from tests.fairness.test_fairness import TAMPERS
from tests.invariants import query
from tests.sandbox.helpers import API, CONTROL, SB, buy, headers, new_sandbox_key


def commitment(client: TestClient, key: str, user: str, base: str = SB) -> dict[str, Any]:
    answer = client.get(f"{base}/fairness/users/{user}", headers=headers(key))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def rotate(client: TestClient, key: str, user: str, base: str = SB) -> dict[str, Any]:
    answer = client.post(f"{base}/fairness/users/{user}/rotate", headers=headers(key))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def receipt(client: TestClient, key: str, session_id: str) -> dict[str, Any]:
    answer = client.get(f"{SB}/fairness/receipts/{session_id}", headers=headers(key))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def tier_one_cards(settings: Settings, pack_id: str) -> list[str]:
    rows = query(
        settings, f"SELECT id FROM cards WHERE pack_id = '{pack_id}' AND tier_id = 1 ORDER BY id"
    )
    return [row[0] for row in rows]


def readme_audit(card: dict[str, Any]) -> bool:
    """An auditor's own check of a sandbox card from the documentation's steps alone (the card's own
    odds table, step 7)."""
    seed = bytes.fromhex(card["server_seed"])
    digest = hmac.new(
        seed, f"{card['client_seed']}:{card['nonce']}".encode(), hashlib.sha256
    ).digest()
    u = (int.from_bytes(digest[:8], "big") >> 11) / 2**53
    drawn_key = int.from_bytes(digest[8:16], "big") >> 2
    table = json.loads(card["odds_canonical"])
    tiers = sorted((t["id"], t["weight"]) for t in table if t["weight"] > 0)
    target, running, drawn = u * sum(w for _, w in tiers), 0.0, tiers[-1][0]
    for tier_id, weight in tiers:
        running += weight
        if target < running:
            drawn = tier_id
            break
    band = next(t for t in table if t["id"] == drawn)
    return (
        hashlib.sha256(seed).hexdigest() == card["server_seed_hash"]
        and hashlib.sha256(card["odds_canonical"].encode()).hexdigest() == card["odds_hash"]
        and (u, str(drawn_key), drawn) == (card["u"], card["drawn_key"], card["tier_id"])
        and band["lower_cents"] <= card["fmv_cents"] < band["upper_cents"]
    )


def verifies(found: dict[str, Any]) -> bool:
    return all(result.passed for result in verify_receipt(found))


def test_seed_hash_before_pull_then_every_card_verifies_after_rotation(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    key = make_partner(settings).sandbox_key
    # tier 3 has no card in production: only the FMV override below puts one there
    pack_id = make_pack(settings, cards_per_tier=(5, 5, 0), clock=clock)
    moved = tier_one_cards(settings, pack_id)[0]
    fmv = sandbox.post(f"{CONTROL}/card/{moved}/fmv", headers=headers(key), json={"fmv": 50})
    assert fmv.status_code == 200, fmv.text

    before = commitment(sandbox, key, "ann")
    assert before["algorithm"] == "clawvault-fair-v1" and before["next_nonce"] == 0
    seen = [json.dumps(before)]
    session = buy(sandbox, key, pack_id, amount=10, user_id="ann")  # every candidate
    seen.append(json.dumps(session))
    sealed = receipt(sandbox, key, session["session_id"])
    seen.append(json.dumps(sealed))
    assert [c["nonce"] for c in sealed["cards"]] == list(range(10))
    assert {c["server_seed_hash"] for c in sealed["cards"]} == {before["server_seed_hash"]}
    assert all(c["server_seed"] is None for c in sealed["cards"])
    assert not any(r.passed for r in verify_receipt(sealed))
    seen.append(json.dumps(commitment(sandbox, key, "ann")))

    # controls that change outcomes: an FMV set after the pull, the clock, a forced sellback
    # error, a sellback
    first_item = sealed["cards"][0]["item_id"]
    later_fmv = sandbox.post(
        f"{CONTROL}/card/{sealed['cards'][1]['item_id']}/fmv", headers=headers(key), json={"fmv": 0}
    )
    assert later_fmv.status_code == 200
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 3})
    forced = sandbox.post(
        f"{CONTROL}/buyback/fail-next",
        headers=headers(key),
        json={"item_id": first_item, "error": "transaction_failed"},
    )
    assert forced.status_code == 200, forced.text
    failed = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": first_item})
    assert failed.status_code == 400
    sold = sandbox.post(f"{SB}/vm/buyback", headers=headers(key), json={"item_id": first_item})
    assert sold.status_code == 200, sold.text
    again = buy(sandbox, key, pack_id, amount=1, user_id="ann")  # the card sold back, only one
    assert [n["id"] for n in again["nfts"]] == [first_item]
    seen.append(json.dumps(receipt(sandbox, key, again["session_id"])))

    rotated = rotate(sandbox, key, "ann")
    revealed = rotated["revealed"]
    assert revealed["server_seed_hash"] == before["server_seed_hash"]
    assert revealed["nonces_used"] == 11
    assert not any(revealed["server_seed"] in text for text in seen)  # never shown before
    assert rotated["current"]["server_seed_hash"] != before["server_seed_hash"]

    opened = receipt(sandbox, key, session["session_id"])
    assert {c["server_seed"] for c in opened["cards"]} == {revealed["server_seed"]}
    assert verifies(opened), verify_receipt(opened)
    assert verifies(receipt(sandbox, key, again["session_id"]))
    assert [c["item_id"] for c in opened["cards"]] == [n["id"] for n in session["nfts"]]
    by_item = {c["item_id"]: c for c in opened["cards"]}
    assert (by_item[moved]["tier_id"], by_item[moved]["fmv_cents"]) == (3, 5_000)
    # the odds table shrinks as tiers run out of candidates; each card carries its own
    tables = [json.loads(c["odds_canonical"]) for c in opened["cards"]]
    assert len({c["odds_hash"] for c in opened["cards"]}) > 1
    assert all(c["odds_hash"] == odds_hash(c["odds_canonical"]) for c in opened["cards"])
    assert [t["id"] for t in tables[0]] == [1, 2, 3] and len(tables[-1]) == 1
    assert opened["odds_hash"] == odds_hash(opened["odds_canonical"])
    assert [t["id"] for t in json.loads(opened["odds_canonical"])] == [1, 2, 3]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_receipt_fails_when_a_field_is_altered_and_with_the_command(
    clock: FakeClock, sandbox: TestClient, settings: Settings, tmp_path: Path
) -> None:
    key = make_partner(settings).sandbox_key
    pack_id = make_pack(settings, cards_per_tier=(6, 3, 0), clock=clock)
    moved = tier_one_cards(settings, pack_id)[2]
    sandbox.post(f"{CONTROL}/card/{moved}/fmv", headers=headers(key), json={"fmv": 25})
    session = buy(sandbox, key, pack_id, amount=5, user_id="bo")["session_id"]
    rotate(sandbox, key, "bo")
    genuine = receipt(sandbox, key, session)
    assert verifies(genuine)
    assert all(readme_audit(card) for card in genuine["cards"])

    def reweigh(r: dict[str, Any]) -> None:
        card = r["cards"][0]
        card["odds_canonical"] = card["odds_canonical"].replace('"weight":70.0', '"weight":1.0')
        card["odds_hash"] = odds_hash(card["odds_canonical"])

    sandbox_tampers = [
        ("card odds", lambda r: r["cards"][0].update(odds_canonical="[]")),
        ("card odds hash", lambda r: r["cards"][1].update(odds_hash="cd" * 32)),
        ("card odds reweighed", reweigh),
        ("wrapped", lambda r: r["cards"][2].update(wrapped=not r["cards"][2]["wrapped"])),
    ]
    for name, tamper in [*TAMPERS, *sandbox_tampers]:
        altered = copy.deepcopy(genuine)
        tamper(altered)
        assert not verifies(altered), name

    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(genuine))
    command = [sys.executable, "-m", "clawvault", "verify", str(path)]
    ok = subprocess.run(command, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.count(": pass") == 5, ok.stdout + ok.stderr
    genuine["cards"][3]["nonce"] += 1
    path.write_text(json.dumps(genuine))
    bad = subprocess.run(command, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stdout.count("FAIL") == 1


def test_client_seed_and_nonces_never_repeat(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    key = make_partner(settings).sandbox_key
    pack_id = make_pack(settings, cards_per_tier=30, clock=clock)
    set_seed = sandbox.post(
        f"{SB}/fairness/users/cy/client-seed", headers=headers(key), json={"client_seed": "mine"}
    )
    assert set_seed.status_code == 200 and set_seed.json()["client_seed"] == "mine"
    refused = sandbox.post(
        f"{SB}/fairness/users/cy/client-seed", headers=headers(key), json={"client_seed": "a b"}
    )
    assert refused.status_code == 400
    sessions = [buy(sandbox, key, pack_id, n, "cy")["session_id"] for n in (1, 4, 2)]
    assert commitment(sandbox, key, "cy")["next_nonce"] == 7
    rotated = rotate(sandbox, key, "cy")
    assert rotated["current"]["client_seed"] == "mine"
    sessions.append(buy(sandbox, key, pack_id, 2, "cy")["session_id"])
    rotate(sandbox, key, "cy")
    cards = [c for s in sessions for c in receipt(sandbox, key, s)["cards"]]
    pairs = [(c["server_seed_hash"], c["nonce"]) for c in cards]
    assert len(set(pairs)) == len(pairs) == 9
    assert [n for _, n in pairs] == [0, 1, 2, 3, 4, 5, 6, 0, 1]
    assert {c["client_seed"] for c in cards} == {"mine"}
    assert all(verifies(receipt(sandbox, key, s)) for s in sessions)


def test_reset_forgets_seeds_and_receipts(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    key = make_partner(settings).sandbox_key
    pack_id = make_pack(settings, clock=clock)
    before = commitment(sandbox, key, "dee")
    session = buy(sandbox, key, pack_id, 2, "dee")["session_id"]
    assert sandbox.post(f"{CONTROL}/reset", headers=headers(key)).json() == {"reset": True}
    after = commitment(sandbox, key, "dee")
    assert after["server_seed_hash"] != before["server_seed_hash"]
    assert after["next_nonce"] == 0 and after["client_seed"] != before["client_seed"]
    gone = sandbox.get(f"{SB}/fairness/receipts/{session}", headers=headers(key))
    assert (gone.status_code, gone.json()) == (404, {"error": "Receipt not found"})


def test_sandbox_and_production_seeds_are_independent(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key, other_key = partner.sandbox_key, new_sandbox_key(settings, partner.name)
    pack_id = make_pack(settings, clock=clock)
    production = commitment(sandbox, partner.key, "eve", base=API)
    mine = commitment(sandbox, key, "eve")
    theirs = commitment(sandbox, other_key, "eve")
    hashes = {production["server_seed_hash"], mine["server_seed_hash"], theirs["server_seed_hash"]}
    assert len(hashes) == 3

    session = buy(sandbox, key, pack_id, 3, "eve")["session_id"]
    assert commitment(sandbox, key, "eve")["next_nonce"] == 3
    assert commitment(sandbox, partner.key, "eve", base=API) == production
    assert commitment(sandbox, other_key, "eve") == theirs
    current = rotate(sandbox, key, "eve")["current"]
    assert commitment(sandbox, partner.key, "eve", base=API) == production
    rotate(sandbox, partner.key, "eve", base=API)
    assert commitment(sandbox, key, "eve") == current
    # a sandbox receipt is the key's own: not under production, not for another key
    for base, caller in ((API, partner.key), (SB, other_key)):
        answer = sandbox.get(f"{base}/fairness/receipts/{session}", headers=headers(caller))
        assert (answer.status_code, answer.json()) == (404, {"error": "Receipt not found"})


def test_sandbox_odds_are_the_keys_own(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    key = partner.sandbox_key
    pack_id = make_pack(settings, cards_per_tier=(5, 5, 0), clock=clock)
    moved = tier_one_cards(settings, pack_id)[0]
    sandbox.post(f"{CONTROL}/card/{moved}/fmv", headers=headers(key), json={"fmv": 50})
    pulled = buy(sandbox, key, pack_id, 4, "fay")
    tiers_pulled = [c["tier_id"] for c in receipt(sandbox, key, pulled["session_id"])["cards"]]
    sandbox.post(f"{CONTROL}/clock/advance", headers=headers(key), json={"days": 2})

    odds = sandbox.get(f"{SB}/vm/{pack_id}/odds", headers=headers(key)).json()
    tiers = odds["tiers"]
    assert [t["probability"] for t in tiers] == [0.7, 0.25, 0.05]  # the published table
    assert odds["odds_hash"] == odds_hash(odds["odds_canonical"])
    holds_moved = moved in {n["id"] for n in pulled["nfts"]}
    expected = [4 - tiers_pulled.count(1), 5 - tiers_pulled.count(2), 0 if holds_moved else 1]
    assert [t["available"] for t in tiers] == expected
    for tier in tiers:
        assert tier["realized"]["all"]["pulls"] == tiers_pulled.count(tier["id"])
        assert tier["realized"]["7d"]["pulls"] == tiers_pulled.count(tier["id"])
        assert tier["realized"]["24h"]["pulls"] == 0  # by the key's clock, 2 days later

    production = sandbox.get(f"{API}/vm/{pack_id}/odds", headers=headers(partner.key)).json()
    assert [t["available"] for t in production["tiers"]] == [5, 5, 0]
    assert all(t["realized"]["all"]["pulls"] == 0 for t in production["tiers"])
    assert production["odds_hash"] == odds["odds_hash"]


def test_card_rule_takes_the_first_pool_key_at_or_after_the_drawn_key_wrapping() -> None:
    cards = [Candidate(f"c{k}", 100, 1, k) for k in (40, 10, 70)]
    assert pick_by_key(10, cards) == cards[1]
    assert pick_by_key(41, cards) == cards[2]
    assert pick_by_key(71, cards) == cards[1]  # wraps to the smallest key
    assert pick_by_key(5, []) is None


SANDBOX_TIERS = ((100, 500, 55.0), (500, 2_000, 30.0), (2_000, 10_000, 12.0), (10_000, 50_000, 3.0))
SANDBOX_PULLS = 3_000


# The sandbox draw is the same code on both databases: run once, on SQLite, with the sandbox
# state in the main database so the drawn tiers can be counted in SQL.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("sandbox_settings", ["persist"], indirect=True)
def test_sandbox_tier_frequencies_match_the_published_odds(
    clock: FakeClock, sandbox: TestClient, settings: Settings
) -> None:
    partner = make_partner(settings)
    pack_id = make_pack(
        settings,
        tiers=SANDBOX_TIERS,
        cards_per_tier=(2_000, 1_200, 500, 200),
        max_per_mint=10,
        clock=clock,
    )
    for i in range(SANDBOX_PULLS // 10):
        buy(sandbox, partner.sandbox_key, pack_id, amount=10, user_id=f"odds-{i % 20}")
    counts = dict(query(settings, "SELECT tier_id, count(*) FROM sandbox_items GROUP BY tier_id"))
    observed = [counts.get(i, 0) for i in range(1, len(SANDBOX_TIERS) + 1)]
    assert sum(observed) == SANDBOX_PULLS
    total_weight = sum(w for _, _, w in SANDBOX_TIERS)
    expected = [SANDBOX_PULLS * w / total_weight for _, _, w in SANDBOX_TIERS]
    assert chisquare(observed, expected).pvalue > 0.001
    # and the statistic can fail at this size: 4% of the pulls moved between tiers is detected
    biased = [expected[0] + 120, expected[1] - 120, *expected[2:]]
    assert chisquare(biased, expected).pvalue < 0.001
