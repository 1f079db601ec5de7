"""The operator's admin API under /admin/v1: its token (never a partner key), packs, cards,
prices, partners and keys, with the importers' validation."""

from __future__ import annotations

from typing import Any

import pytest

from clawvault.settings import Settings
from tests.factories import FakeClock, make_pack, make_partner
from tests.operator import (
    ADMIN,
    ADMIN_API,
    ADMIN_TOKEN,
    API,
    card_row,
    operator_client,
    operator_settings,
    pack_cards,
    snapshot,
)

PACK: dict[str, Any] = {
    "slug": "admin-pack",
    "name": "Admin Pack",
    "mint_price": 20,
    "max_per_mint": 5,
    "buyback_percent": 0.8,
    "categories": ["Pokemon"],
    "enable": False,
    "tiers": [
        {"name": "Common", "color": "#9ca3af", "lower": 1, "upper": 10, "weight": 90},
        {"name": "Chase", "color": "#F59E0B", "lower": 10, "upper": 500, "weight": 10},
    ],
}


def card(card_id: str, fmv: float, pack: str = "admin-pack") -> dict[str, Any]:
    return {
        "id": card_id,
        "pack_id": pack,
        "name": f"Card {card_id}",
        "image": f"https://cdn.example.com/{card_id}.jpg",
        "type": "alt",
        "fmv": fmv,
        "year": 2024,
        "category": "Pokemon",
        "grader": "PSA",
        "grade": "PSA 10.0",
    }


def test_only_the_operator_token_opens_the_admin_api(settings: Settings, clock: FakeClock) -> None:
    partner = make_partner(settings)
    with operator_client(operator_settings(settings), clock) as client:
        for headers in (
            {},
            partner.headers,  # a partner key is never an operator credential
            {"Authorization": f"Bearer {partner.key}"},
            {"X-Admin-Token": partner.key},
            {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
            {"Authorization": ADMIN_TOKEN},
        ):
            refused = client.get(f"{ADMIN_API}/packs", headers=headers)
            assert (refused.status_code, refused.json()) == (401, {"error": "Invalid admin token"})
        assert client.get(f"{ADMIN_API}/packs", headers=ADMIN).status_code == 200
        assert (
            client.get(f"{ADMIN_API}/packs", headers={"X-Admin-Token": ADMIN_TOKEN}).status_code
            == 200
        )
        # and the operator token opens nothing of the Partner API
        assert client.get(f"{API}/vm/available", headers=ADMIN).status_code == 401


def test_without_a_configured_token_the_admin_api_is_off(
    settings: Settings, clock: FakeClock
) -> None:
    with operator_client(settings, clock) as client:
        for token in ("", "anything"):
            answer = client.get(f"{ADMIN_API}/packs", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401
            assert "CLAWVAULT_ADMIN_TOKEN" in answer.json()["error"]


def test_packs_cards_and_prices_through_the_admin_api(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    partner = make_partner(settings)
    with operator_client(settings, clock) as client:
        created = client.post(f"{ADMIN_API}/packs", headers=ADMIN, json=PACK)
        assert created.status_code == 200, created.text
        assert created.json()["created"] == 1
        pack = client.get(f"{ADMIN_API}/packs", headers=ADMIN).json()[0]
        pack_id = pack["id"]
        assert pack["enable"] is False and pack["tiers"][0]["color"] == "#9CA3AF"

        added = client.post(
            f"{ADMIN_API}/cards",
            headers=ADMIN,
            json={"cards": [card("a-1", 2), card("a-2", 5), card("a-3", 40)]},
        )
        assert added.json()["created"] == 3, added.text
        enabled = client.post(f"{ADMIN_API}/packs/{pack_id}/enable", headers=ADMIN)
        assert enabled.status_code == 200 and enabled.json()["enable"] is True
        listed = client.get(f"{API}/vm/available", headers=partner.headers).json()
        assert listed[0]["ev"] == 7.15 and listed[0]["in_stock"] is True  # .9 × 3.50 + .1 × 40

        patched = client.patch(
            f"{ADMIN_API}/packs/{pack_id}",
            headers=ADMIN,
            json={"name": "Renamed", "max_per_mint": 3},
        )
        assert patched.status_code == 200
        assert (patched.json()["name"], patched.json()["max_per_mint"]) == ("Renamed", 3)
        assert patched.json()["mint_price"] == 20  # untouched fields kept

        tiers = [
            {"name": "Common", "color": "#9CA3AF", "lower": 1, "upper": 3, "weight": 60},
            {"name": "Mid", "color": "#22C55E", "lower": 3, "upper": 10, "weight": 35},
            {"name": "Chase", "color": "#F59E0B", "lower": 10, "upper": 500, "weight": 5},
        ]
        put = client.put(f"{ADMIN_API}/packs/{pack_id}/tiers", headers=ADMIN, json={"tiers": tiers})
        assert put.status_code == 200, put.text
        assert [c["tier_id"] for c in pack_cards(settings, pack_id)] == [1, 2, 3]

        clock.advance(minutes=1)
        pushed = client.post(
            f"{ADMIN_API}/prices",
            headers=ADMIN,
            json=[{"card_id": "a-1", "fmv": 6}, {"card_id": "a-2", "fmv": 7, "source": "psa"}],
        )
        assert pushed.json()["applied"] == 2
        assert [c["tier_id"] for c in pack_cards(settings, pack_id)] == [2, 2, 3]

        other = make_pack(settings, clock=clock)
        moved = client.post(f"{ADMIN_API}/cards/a-3/move", headers=ADMIN, json={"pack_id": other})
        assert moved.status_code == 200, moved.text
        assert card_row(settings, "a-3")["pack_id"] == other
        retired = client.post(f"{ADMIN_API}/cards/a-1/retire", headers=ADMIN)
        assert retired.json() == {"id": "a-1", "status": "retired"}
        assert card_row(settings, "a-1")["status"] == "retired"

        disabled = client.post(f"{ADMIN_API}/packs/{pack_id}/disable", headers=ADMIN)
        assert disabled.json()["enable"] is False


def test_admin_requests_get_the_importers_validation(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    with operator_client(settings, clock) as client:
        client.post(f"{ADMIN_API}/packs", headers=ADMIN, json=PACK)
        before = snapshot(settings)
        bad = client.post(
            f"{ADMIN_API}/cards",
            headers=ADMIN,
            json=[card("b-1", 3), card("b-2", 0), {**card("b-3", 3), "pack_id": "nope"}],
        )
        assert bad.status_code == 400
        assert bad.json() == {
            "error": "2 bad rows: nothing was applied",
            "rows": [
                {"row": 2, "reason": "fmv must be at least 0.01"},
                {"row": 3, "reason": "pack_id 'nope' is not a known pack id or slug"},
            ],
        }
        overlapping = [
            {"name": "A", "color": "#000000", "lower": 1, "upper": 10, "weight": 1},
            {"name": "B", "color": "#000000", "lower": 5, "upper": 20, "weight": 1},
        ]
        pack_id = client.get(f"{ADMIN_API}/packs", headers=ADMIN).json()[0]["id"]
        tiers = client.put(
            f"{ADMIN_API}/packs/{pack_id}/tiers", headers=ADMIN, json={"tiers": overlapping}
        )
        assert tiers.json()["rows"] == [{"row": 1, "reason": "tiers 'A' and 'B' overlap"}]
        price = client.post(f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": "x", "fmv": 1})
        assert price.json()["rows"] == [{"row": 1, "reason": "card_id 'x' is not a known card"}]
        unknown = client.patch(f"{ADMIN_API}/packs/{pack_id}", headers=ADMIN, json={"colour": 1})
        assert unknown.status_code == 400
        assert client.get(f"{ADMIN_API}/packs/nope", headers=ADMIN).status_code == 404
        assert client.post(f"{ADMIN_API}/cards/nope/retire", headers=ADMIN).status_code == 404
        assert snapshot(settings) == before


def test_a_held_card_cannot_be_moved_or_retired(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    other = make_pack(settings, clock=clock)
    with operator_client(settings, clock) as client:
        item_id = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pack_id, "amount": 1, "user_id": "h"},
        ).json()["nfts"][0]["id"]
        moved = client.post(
            f"{ADMIN_API}/cards/{item_id}/move", headers=ADMIN, json={"pack_id": other}
        )
        assert moved.status_code == 409
        retired = client.post(f"{ADMIN_API}/cards/{item_id}/retire", headers=ADMIN)
        assert retired.status_code == 409
        assert card_row(settings, item_id)["status"] == "held"


def test_partners_and_keys(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    pack_id = make_pack(settings, clock=clock)
    with operator_client(settings, clock) as client:
        created = client.post(f"{ADMIN_API}/partners", headers=ADMIN, json={"name": "acme"})
        assert created.status_code == 201
        assert (
            client.post(f"{ADMIN_API}/partners", headers=ADMIN, json={"name": "acme"}).status_code
            == 409
        )
        key = client.post(f"{ADMIN_API}/partners/acme/keys", headers=ADMIN, json={}).json()
        sandbox = client.post(
            f"{ADMIN_API}/partners/acme/keys", headers=ADMIN, json={"sandbox": True}
        ).json()
        assert key["environment"] == "production" and sandbox["key"].startswith("sandbox-")
        headers = {"X-API-Key": key["key"]}
        assert client.get(f"{API}/vm/available", headers=headers).status_code == 200

        keys = client.get(f"{ADMIN_API}/partners/acme/keys", headers=ADMIN).json()
        assert len(keys) == 2 and all(k["revoked_at"] is None for k in keys)
        assert all("key" not in k for k in keys)  # a key is shown once, when it is created
        partners = client.get(f"{ADMIN_API}/partners", headers=ADMIN).json()
        assert [(p["name"], p["active_keys"]) for p in partners] == [("acme", 2)]

        production = next(k for k in keys if k["environment"] == "production")
        revoked = client.post(f"{ADMIN_API}/keys/{production['id']}/revoke", headers=ADMIN)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert client.get(f"{API}/vm/available", headers=headers).status_code == 401
        assert client.post(f"{ADMIN_API}/keys/999999/revoke", headers=ADMIN).status_code == 404
        assert client.get(f"{ADMIN_API}/partners/nobody/keys", headers=ADMIN).status_code == 404
        assert pack_id


@pytest.mark.parametrize("body", ["not json", "[]", '{"packs": []}'])
def test_malformed_bodies_are_clear_400s(settings: Settings, clock: FakeClock, body: str) -> None:
    with operator_client(operator_settings(settings), clock) as client:
        answer = client.post(
            f"{ADMIN_API}/packs",
            headers={**ADMIN, "Content-Type": "application/json"},
            content=body,
        )
        assert answer.status_code == 400 and answer.json()["error"]
