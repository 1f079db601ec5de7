"""Pure shipping rules: zones, rates, the order state machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from clawvault.core.ids import new_quote_session_id
from clawvault.db.models import OrderStatus
from clawvault.shipping.errors import InvalidTracking, ItemIdsRequired, ItemNotFound

# The vault ships from Wilmington, Delaware.
US_NEAR = {
    "DE",
    "PA",
    "NJ",
    "MD",
    "NY",
    "VA",
    "DC",
    "CT",
    "MA",
    "RI",
    "NH",
    "VT",
    "ME",
    "WV",
    "NC",
    "OH",
}
US_FAR = {"AK", "HI", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP"}
COUNTRY_ZONES = {
    "US": "domestic",
    "CA": "north_america",
    "MX": "north_america",
    **{
        c: "europe"
        for c in (
            "GB",
            "IE",
            "DE",
            "FR",
            "ES",
            "IT",
            "NL",
            "BE",
            "AT",
            "CH",
            "SE",
            "DK",
            "NO",
            "FI",
            "PT",
            "PL",
        )
    },
    **{c: "asia_pacific" for c in ("JP", "KR", "SG", "HK", "TW", "AU", "NZ")},
}
SUPPORTED_COUNTRIES = frozenset(COUNTRY_ZONES)
INSURANCE_THRESHOLD_CENTS = 100_00  # carriers cover up to $100 without declared insurance


@dataclass(frozen=True)
class Service:
    key: str
    carrier: str
    service: str
    base_cents: int
    per_extra_item_cents: int
    days: tuple[int, int]


DOMESTIC_SERVICES = (
    Service("standard", "USPS", "Ground Advantage", 895, 150, (3, 5)),
    Service("priority", "USPS", "Priority Mail", 1295, 200, (2, 3)),
    Service("express", "FedEx", "2Day", 2895, 300, (2, 2)),
)
INTERNATIONAL_SERVICES = (
    Service("standard", "USPS", "First-Class Package International", 1895, 250, (7, 21)),
    Service("priority", "USPS", "Priority Mail International", 4495, 400, (6, 10)),
    Service("express", "FedEx", "International Priority", 7995, 600, (2, 4)),
)
# Multiplier in percent of the service's price, by zone.
ZONE_FACTOR = {
    "us_near": 100,
    "us_mid": 115,
    "us_far": 160,
    "north_america": 100,
    "europe": 115,
    "asia_pacific": 130,
}


@dataclass(frozen=True)
class Rate:
    key: str
    carrier: str
    service: str
    amount_cents: int
    estimated_days_min: int
    estimated_days_max: int
    insured: bool

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every field, a noticeable cost per quote.
        return {
            "key": self.key,
            "carrier": self.carrier,
            "service": self.service,
            "amount_cents": self.amount_cents,
            "estimated_days_min": self.estimated_days_min,
            "estimated_days_max": self.estimated_days_max,
            "insured": self.insured,
        }


def zone_for(country: str, state: str | None) -> str:
    if country == "US":
        if state in US_FAR:
            return "us_far"
        return "us_near" if state in US_NEAR else "us_mid"
    return COUNTRY_ZONES[country]


def insurance_cents(declared_value_cents: int) -> int:
    """$1.25 per started $100 declared above the carrier's included $100."""
    above = declared_value_cents - INSURANCE_THRESHOLD_CENTS
    return 0 if above <= 0 else -(-above // 100_00) * 125


def rates_for(zone: str, item_count: int, declared_value_cents: int) -> list[Rate]:
    services = DOMESTIC_SERVICES if zone.startswith("us_") else INTERNATIONAL_SERVICES
    insured = declared_value_cents > INSURANCE_THRESHOLD_CENTS
    premium = insurance_cents(declared_value_cents)
    rates = []
    for service in services:
        postage = service.base_cents + service.per_extra_item_cents * max(0, item_count - 1)
        amount = (postage * ZONE_FACTOR[zone] + 50) // 100 + premium
        rates.append(
            Rate(service.key, service.carrier, service.service, amount, *service.days, insured)
        )
    return rates


def new_quote(
    user_id: str,
    shippable: Sequence[Any],
    id_key: str,
    destination: dict[str, Any],
    zone: str,
    now: datetime,
    ttl: timedelta,
) -> tuple[dict[str, Any], list[Rate]]:
    """A new quote's row (but the column of whose it is) and its rates, for the items that
    can ship (each with its fmv_cents, and its id under `id_key`)."""
    declared = sum(item["fmv_cents"] for item in shippable)
    rates = rates_for(zone, len(shippable), declared)
    row = {
        "id": new_quote_session_id(),
        "user_id": user_id,
        "item_ids": [item[id_key] for item in shippable],
        "destination": destination,
        "declared_value_cents": declared,
        "zone": zone,
        "rates": [r.as_dict() for r in rates],
        "created_at": now,
        "expires_at": now + ttl,
    }
    return row, rates


MAIN_PATH = (
    OrderStatus.QUEUED,
    OrderStatus.PROCESSING,
    OrderStatus.LABEL_CREATED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# An order can be stopped while it is still in the vault.
STOPPABLE = {OrderStatus.QUEUED, OrderStatus.PROCESSING, OrderStatus.LABEL_CREATED}
TERMINAL = {OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.FAILED}
RELEASES_ITEMS = {OrderStatus.CANCELLED, OrderStatus.FAILED}


class IllegalTransition(ValueError):
    pass


def transition_path(current: OrderStatus, target: OrderStatus) -> list[OrderStatus]:
    """The statuses an order passes through from current to target (forward along the main
    path, one step or several; or to cancelled/failed while still in the vault)."""
    if current in TERMINAL:
        raise IllegalTransition(f"order is {current.value}: it cannot move any more")
    if target in RELEASES_ITEMS:
        if current not in STOPPABLE:
            raise IllegalTransition(f"order is {current.value}: it can no longer be {target.value}")
        return [target]
    here, there = MAIN_PATH.index(current), MAIN_PATH.index(target)
    if there <= here:
        raise IllegalTransition(f"order is {current.value}: it cannot go back to {target.value}")
    return list(MAIN_PATH[here + 1 : there + 1])


def next_status(current: str) -> OrderStatus | None:
    """The next status along the main path; None once delivered or stopped."""
    status = OrderStatus(current)
    if status in TERMINAL:
        return None
    return MAIN_PATH[MAIN_PATH.index(status) + 1]


def tracking_number(order_id: str) -> str:
    digits = "".join(str(ord(c) % 10) for c in order_id[len("order_") :])
    return ("9400" + digits + "0" * 22)[:22]


def parse_item_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ItemIdsRequired()
    ids: list[str] = []
    for item_id in value:
        if not isinstance(item_id, str) or not item_id:
            raise ItemNotFound()
        if item_id not in ids:
            ids.append(item_id)
    return ids


TRACKING_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


@dataclass(frozen=True)
class Tracking:
    carrier: str
    number: str

    def values(self, url_template: str) -> dict[str, str]:
        carrier = quote(self.carrier.lower(), safe="")  # "DHL Express" in a URL path
        url = url_template.format(carrier=carrier, tracking_number=self.number)
        return {"carrier": self.carrier, "tracking_number": self.number, "tracking_url": url}


@dataclass(frozen=True)
class OrderMove:
    path: list[OrderStatus]  # every status the order passes through
    values: dict[str, Any]  # the order's new column values
    ships: bool  # its cards leave the vault
    releases: bool  # its cards go back to the user's inventory


def plan_move(
    order: Mapping[Any, Any],
    target: OrderStatus,
    now: datetime,
    tracking_url_template: str,
    *,
    note: str | None = None,
    stopped_by: str = "the operator",
    tracking: Tracking | None = None,
) -> OrderMove:
    """An order's move to `target` (production and sandbox alike): a label at label_created
    (the operator's tracking number, or one made up from the order id), the times of shipping
    and delivery, the reason of a stop. Raises IllegalTransition."""
    path = transition_path(OrderStatus(order["status"]), target)
    values: dict[str, Any] = {"updated_at": now}
    ships = releases = False
    for status in path:
        values["status"] = status.value
        if status is OrderStatus.LABEL_CREATED:
            label = tracking or Tracking(order["carrier"], tracking_number(order["id"]))
            values.update(label.values(tracking_url_template))
        elif status is OrderStatus.SHIPPED:
            values["shipped_at"] = now
            ships = True
        elif status is OrderStatus.DELIVERED:
            values["delivered_at"] = now
        elif status in RELEASES_ITEMS:
            values["error_message"] = note or f"Order {status.value} by {stopped_by}"
            releases = True
    return OrderMove(path, values, ships, releases)


def parse_tracking(carrier: Any, number: Any) -> Tracking:
    """A carrier name and a tracking number as an operator types them (spaces dropped)."""
    if not isinstance(carrier, str) or not 1 <= len(carrier.strip()) <= 32:
        raise InvalidTracking("carrier is required (at most 32 characters)")
    if not isinstance(number, str):
        raise InvalidTracking("tracking number is required")
    compact = number.replace(" ", "").upper()
    if not 4 <= len(compact) <= 64 or not set(compact) <= TRACKING_CHARACTERS:
        raise InvalidTracking("tracking number: 4 to 64 letters, digits or dashes")
    return Tracking(carrier.strip(), compact)
