"""Pure rules of the operator's catalog: the solvency guard."""

from __future__ import annotations

from clawvault.core.money import BASIS_POINTS, apply_basis_points


def dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def solvency_problem(
    label: str, ev_cents: int, buyback_bps: int, mint_price_cents: int
) -> str | None:
    """Why a pack may not be enabled, or None: its expected sellback liability (ev ×
    buyback_percent) must not exceed what one pull earns (mint_price)."""
    liability = apply_basis_points(ev_cents, buyback_bps)
    if liability <= mint_price_cents:
        return None
    return (
        f"pack {label} cannot be enabled: its expected sellback liability {dollars(liability)}"
        f" (ev {dollars(ev_cents)} × buyback_percent {buyback_bps / BASIS_POINTS:g}) exceeds"
        f" its mint_price {dollars(mint_price_cents)}; lower buyback_percent or the tier"
        " weights, raise mint_price, or import it disabled"
    )
