"""What both ways of a pull make of it alike: the pack's refusals, the session's and the
charge's rows, the answer, and the pull.fulfilled event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clawvault.core.ids import new_public_id, new_tx_hash
from clawvault.db import lean
from clawvault.db.conn import Conn
from clawvault.db.models import LedgerKind
from clawvault.inventory.presenters import item_json
from clawvault.ledger.repository import ledger_entry
from clawvault.packs.domain import TierTable, odds_canonical
from clawvault.packs.errors import PackNotFound
from clawvault.partners.auth import Caller
from clawvault.pulls.domain import amount_refusal
from clawvault.pulls.errors import AmountTooLarge, OutOfStock
from clawvault.pulls.repository import PackForPull
from clawvault.webhooks.domain import EventType
from clawvault.webhooks.service import emit


def terms(
    pack: PackForPull | None, amount: int | None, raw_amount: Any
) -> tuple[PackForPull, int, TierTable]:
    """The pack's refusals of this pull, in the order the API gives them; the tiers to draw
    from."""
    if pack is None:
        raise PackNotFound()
    if amount is None:
        raise amount_refusal(raw_amount)
    if amount > pack.max_per_mint:
        raise AmountTooLarge(pack.max_per_mint)
    if not pack.enable or not pack.tiers or pack.has_an_empty_tier:
        raise OutOfStock()
    return pack, amount, TierTable(pack.tiers)


def session_row(
    session_id: str,
    caller: Caller,
    user_id: str,
    pack_id: str,
    pack: PackForPull,
    amount: int,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "partner_id": caller.partner_id,
        "user_id": user_id,
        "pack_id": pack_id,
        "amount": amount,
        "price_cents": pack.mint_price_cents * amount,
        "public_id": new_public_id(),
        "tx_hash": new_tx_hash(),
        "odds_canonical": odds_canonical(pack.tiers),
        "created_at": now,
    }


def charge_row(
    session_id: str, caller: Caller, user_id: str, pack: PackForPull, amount: int, now: datetime
) -> dict[str, Any]:
    """The pull's ledger entry."""
    price = pack.mint_price_cents * amount
    return ledger_entry(caller.partner_id, LedgerKind.PULL, -price, session_id, user_id, now)


def pulled_answer(session_id: str, pack: PackForPull, cards: Sequence[lean.Row]) -> dict[str, Any]:
    extra = {"claw_slug": pack.slug, "buyback_bps": pack.buyback_bps}
    return {"session_id": session_id, "nfts": [item_json({**c, **extra}) for c in cards]}  # type: ignore[arg-type]


async def announce(
    conn: Conn,
    caller: Caller,
    user_id: str,
    pack_id: str,
    amount: int,
    pack: PackForPull,
    answer: dict[str, Any],
    now: datetime,
) -> None:
    """The pull.fulfilled event, committed with the pull (no endpoint: no event to make)."""
    if not pack.has_endpoints:
        return
    event = {"user_id": user_id, "claw_id": pack_id, "amount": amount}
    event.update(answer)
    await emit(
        conn,
        caller.partner_id,
        EventType.PULL_FULFILLED,
        event,
        now,
        environment=caller.environment,
    )
