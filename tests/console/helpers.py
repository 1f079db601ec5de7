"""Console test helpers: a signed-in browser-like client, and data made through the Partner
API (a pull, then a shipping order) so the console shows what partners did."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from fastapi.testclient import TestClient

from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, make_pack, make_partner
from tests.operator import ADMIN_TOKEN, operator_client, operator_settings

API = "/api/v1"
CONSOLE = "/console"
CSRF = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')


class Http(Protocol):
    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Shop:
    partner: str
    key: str
    pack_id: str
    items: list[str]
    order_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


def sign_in(client: TestClient, token: str = ADMIN_TOKEN) -> str:
    """Signs in; returns the page's CSRF token."""
    answer = client.post(f"{CONSOLE}/signin", data={"token": token}, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    found = CSRF.search(answer.text)
    assert found, answer.text[:500]
    return found.group(1)


@contextmanager
def console(settings: Settings, clock: FakeClock) -> Iterator[tuple[TestClient, Settings]]:
    settings = operator_settings(settings)
    with operator_client(settings, clock) as client:
        yield client, settings


def pull_and_ship(http: Http, settings: Settings, clock: Callable[[], datetime] = utcnow) -> Shop:
    """A partner pulls 3 cards of a new pack and ships 2 of them (one queued order), the pack
    priced by the clock the server runs on (`utcnow` for a live server)."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=clock)
    h = partner.headers
    bought = http.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 3, "user_id": "alice"}
    )
    assert bought.status_code == 200, bought.text
    items = [n["id"] for n in bought.json()["nfts"]]
    quote = http.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": items[:2], "destination": ADDRESS}
    )
    assert quote.status_code == 200, quote.text
    rate = quote.json()["quotes"][0]["id"]
    shipped = http.post(f"{API}/ship/request", headers=h, json={"quote_id": rate})
    assert shipped.status_code == 200, shipped.text
    return Shop(partner.name, partner.key, pack_id, items, shipped.json()["order_id"])
