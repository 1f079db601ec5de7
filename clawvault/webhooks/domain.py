"""Webhook rules: event types, signatures, the retry schedule, which targets are allowed."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from clawvault.core.money import cents_to_number
from clawvault.core.timeutil import as_utc, isoformat

SIGNATURE_HEADER = "Clawvault-Signature"
EVENT_ID_HEADER = "Clawvault-Event-Id"
EVENT_TYPE_HEADER = "Clawvault-Event-Type"
DELIVERY_ID_HEADER = "Clawvault-Delivery-Id"
# A receiver rejects a signature whose timestamp is further than this from its own clock.
REPLAY_WINDOW_SECONDS = 300


class EventType(StrEnum):
    PULL_FULFILLED = "pull.fulfilled"
    BUYBACK_COMPLETED = "buyback.completed"
    SHIPMENT_STATUS_CHANGED = "shipment.status_changed"
    BUYBACK_EXPIRING = "buyback.expiring"


EVENT_TYPES = frozenset(t.value for t in EventType)


def expiring_data(
    item_id: str, user_id: str, claw_id: str, buyback_price_cents: int, expires_at: datetime
) -> dict[str, Any]:
    """The `data` of a buyback.expiring event (production and sandbox alike)."""
    return {
        "item_id": item_id,
        "user_id": user_id,
        "claw_id": claw_id,
        "buyback_price": cents_to_number(buyback_price_cents),
        "buyback_expires_at": isoformat(as_utc(expires_at)),
    }


def new_endpoint_id() -> str:
    return "we_" + secrets.token_hex(12)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def new_delivery_id() -> str:
    return "whd_" + secrets.token_hex(12)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256, keyed with the endpoint's secret, of `<timestamp>.<raw body>`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def retry_delay_seconds(attempts_made: int, base: float, cap: float) -> float:
    """Exponential backoff: base, 2×base, 4×base, ... capped."""
    return float(min(cap, base * 2 ** max(0, attempts_made - 1)))


def retry_span_seconds(max_attempts: int, base: float, cap: float) -> float:
    """From the first attempt to the last one."""
    return sum(retry_delay_seconds(n, base, cap) for n in range(1, max_attempts))


def subscribed(events: list[str], event_type: str) -> bool:
    return not events or event_type in events


class BadTarget(ValueError):
    pass


URL_MAX = 2000


def check_url(url: object) -> str:
    """An http(s) URL with a host; its addresses are checked when it is delivered to."""
    # Printable ASCII with no space: a URL carries anything else percent-encoded.
    if not isinstance(url, str) or len(url) > URL_MAX or not all(" " < c <= "~" for c in url):
        raise BadTarget("url must be an http or https URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadTarget("url must be an http or https URL")
    return url


def address_allowed(address: str) -> bool:
    """Only public unicast addresses: never private, loopback, link-local, multicast, reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
