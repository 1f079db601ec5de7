from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from clawvault.core.ids import rate_id
from clawvault.core.money import cents_to_number
from clawvault.core.timeutil import isoformat
from clawvault.shipping.domain import Rate


def order_json(order: RowMapping, items: Sequence[RowMapping]) -> dict[str, Any]:
    return {
        "order_id": order["id"],
        "status": order["status"],
        "carrier": order["carrier"],
        "service": order["service"],
        "tracking_number": order["tracking_number"],
        "tracking_url": order["tracking_url"],
        "amount": cents_to_number(order["amount_cents"]),
        "currency": "USD",
        "destination": order["destination"],
        "items": [
            {
                "item_id": item["card_id"],
                "name": item["name"],
                "image": item["image"],
                "back_image": item["back_image"],
            }
            for item in items
        ],
        "created_at": isoformat(order["created_at"]),
        "shipped_at": isoformat(order["shipped_at"]),
        "delivered_at": isoformat(order["delivered_at"]),
        "error_message": order["error_message"],
    }


def quote_json(session_id: str, expires_at: datetime, rates: Sequence[Rate]) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "expires_at": isoformat(expires_at),
        "quotes": [
            {
                "id": rate_id(session_id, r.key),
                "carrier": r.carrier,
                "service": r.service,
                "amount": cents_to_number(r.amount_cents),
                "estimated_days_min": r.estimated_days_min,
                "estimated_days_max": r.estimated_days_max,
                "insured": r.insured,
            }
            for r in rates
        ],
    }
