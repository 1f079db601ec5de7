"""The solvency guard: no pack is enabled while its expected sellback liability
(ev × buyback_percent) exceeds its mint_price, whether through the admin API or an import."""

from __future__ import annotations

from typing import Any

from clawvault.catalog.domain import solvency_problem
from clawvault.settings import Settings
from tests.factories import FakeClock
from tests.operator import ADMIN, ADMIN_API, operator_client, operator_settings, snapshot

# EV of the empty pack = .5 × 10 + .5 × 30 (each empty tier counts at its lower bound) = 20
PACK: dict[str, Any] = {
    "slug": "guarded",
    "name": "Guarded",
    "mint_price": 16,
    "max_per_mint": 5,
    "buyback_percent": 0.8,
    "enable": False,
    "tiers": "Low:#111111:10:30:50;High:#222222:30:100:50",
}


def cards(*fmvs: float) -> list[dict[str, Any]]:
    return [
        {
            "id": f"g-{i}",
            "pack_id": "guarded",
            "name": f"G {i}",
            "image": "https://x/g.jpg",
            "type": "alt",
            "fmv": fmv,
            "year": "2020",
            "category": "Baseball",
        }
        for i, fmv in enumerate(fmvs)
    ]


def test_the_guard_rule() -> None:
    assert (
        solvency_problem("'p'", ev_cents=2_000, buyback_bps=8_000, mint_price_cents=1_600) is None
    )
    problem = solvency_problem("'p'", ev_cents=2_001, buyback_bps=8_000, mint_price_cents=1_600)
    assert problem is not None
    assert "expected sellback liability $16.01" in problem
    assert "(ev $20.01 × buyback_percent 0.8) exceeds its mint_price $16.00" in problem


def test_an_insolvent_pack_cannot_be_enabled(settings: Settings, clock: FakeClock) -> None:
    settings = operator_settings(settings)
    with operator_client(settings, clock) as client:
        before = snapshot(settings)
        refused = client.post(
            f"{ADMIN_API}/packs", headers=ADMIN, json={**PACK, "mint_price": 15.99, "enable": True}
        )
        assert refused.status_code == 400
        [row] = refused.json()["rows"]
        assert row["row"] == 1
        assert row["reason"].startswith("pack 'guarded' cannot be enabled: its expected sellback")
        assert snapshot(settings) == before

        assert (
            client.post(
                f"{ADMIN_API}/packs", headers=ADMIN, json={**PACK, "mint_price": 15.99}
            ).status_code
            == 200
        )
        pack_id = client.get(f"{ADMIN_API}/packs", headers=ADMIN).json()[0]["id"]
        enable = client.post(f"{ADMIN_API}/packs/{pack_id}/enable", headers=ADMIN)
        assert enable.status_code == 409
        assert "exceeds its mint_price $15.99" in enable.json()["error"]
        assert client.get(f"{ADMIN_API}/packs/{pack_id}", headers=ADMIN).json()["enable"] is False

        assert (
            client.patch(
                f"{ADMIN_API}/packs/{pack_id}", headers=ADMIN, json={"mint_price": 16}
            ).status_code
            == 200
        )
        assert client.post(f"{ADMIN_API}/packs/{pack_id}/enable", headers=ADMIN).status_code == 200
        raise_payout = client.patch(
            f"{ADMIN_API}/packs/{pack_id}", headers=ADMIN, json={"buyback_percent": 0.81}
        )
        assert raise_payout.status_code == 400
        assert (
            client.get(f"{ADMIN_API}/packs/{pack_id}", headers=ADMIN).json()["buyback_percent"]
            == 0.8
        )


def test_an_import_that_would_make_an_enabled_pack_insolvent_is_refused(
    settings: Settings, clock: FakeClock
) -> None:
    settings = operator_settings(settings)
    with operator_client(settings, clock) as client:
        client.post(f"{ADMIN_API}/packs", headers=ADMIN, json={**PACK, "enable": True})
        assert (
            client.post(f"{ADMIN_API}/cards", headers=ADMIN, json=cards(10, 30)).status_code == 200
        )
        before = snapshot(settings)
        # a $99 card lifts the High tier's mean to $64.50: ev $37.25, liability $29.80 > $16
        refused = client.post(f"{ADMIN_API}/cards", headers=ADMIN, json=cards(10, 30, 99))
        assert refused.status_code == 400
        assert refused.json()["error"] == "refused: nothing was applied"
        assert "pack 'guarded' cannot be enabled" in refused.json()["rows"][0]["reason"]
        assert snapshot(settings) == before


def test_market_prices_are_applied_and_the_breach_is_reported(
    settings: Settings, clock: FakeClock
) -> None:
    """Decision: a market price is a fact, never refused; an enabled pack it pushes past the
    guard is reported (the report's warnings, the log) for the operator to act on."""
    settings = operator_settings(settings)
    with operator_client(settings, clock) as client:
        client.post(f"{ADMIN_API}/packs", headers=ADMIN, json={**PACK, "enable": True})
        client.post(f"{ADMIN_API}/cards", headers=ADMIN, json=cards(10, 30))
        clock.advance(minutes=1)
        pushed = client.post(
            f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": "g-1", "fmv": 99}
        )
        assert pushed.status_code == 200 and pushed.json()["applied"] == 1
        [warning] = pushed.json()["warnings"]
        assert warning.startswith("pack 'guarded' is enabled but its expected sellback liability")
