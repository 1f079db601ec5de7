"""Issue 22: every operation of the OpenAPI, on both databases, given strings and numbers built
to hurt (NUL, lone surrogates, 100 KB and 10 MB values, RTL and combining marks, '/', '%2F',
'..', SQL and JSON metacharacters, numbers as strings, huge, negative and fractional numbers,
nested objects where strings belong): never a 5xx, every refusal in the {"error": ...} shape,
and a refused request writes nothing (the row count of every table unchanged)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
from fastapi.testclient import TestClient

from clawvault.app import create_app
from clawvault.core.randomness import SeededRandomness
from clawvault.core.runtime import Runtime
from clawvault.db.models import Base
from clawvault.db.unit import Unit
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.service import partner_id as partner_id_of
from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, PartnerKeys, make_pack, make_partner, run
from tests.operator import ADMIN_TOKEN

NUL = "\u0000nul"
SURROGATE = "\ud800x"
BIG = "x" * 100_000
HUGE = "y" * 10_000_000
STRINGS: list[Any] = [
    NUL,
    SURROGATE,
    BIG,
    "é" * 3_000,  # under the 10,000-character rule, over PostgreSQL's index row of 2,704 bytes
    "\u202eevil\u0301\u0301\u0301",
    "a/b",
    "a%2Fb",
    "..",
    "' OR 1=1 --",
    '"}]{[\\',
    "\u0007bell\u001b[31m",
    "12345",
    "",
]
VALUES: list[Any] = [*STRINGS, 10**30, -(2**63) - 1, -5, 1.5, {"nested": {"a": [1]}}, [NUL], True]
# A URL holds at most 64 KB (httpx): 20 KB stands for the oversized value there.
QUERY_VALUES = [("x" * 20_000 if value is BIG else value) for value in STRINGS]
# A valid value of each body member, by environment (True: sandbox), so that a hostile value in
# one member meets the checks that come after the others.
GOOD: dict[bool, dict[str, Any]] = {}
PATH_VALUES = [
    NUL,
    SURROGATE,
    "x" * 20_000,
    "é" * 5_000,
    "\u202eevil\u0301",
    "a%2Fb",
    "..",
    "' OR 1=1 --",
]


class RowCounts:
    """The row count of every table, in one statement."""

    def __init__(self, database_url: str) -> None:
        tables = [t.name for t in Base.metadata.sorted_tables]
        self.sql = "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)
        self.url = database_url
        self.loop = asyncio.new_event_loop()
        self.pg: asyncpg.Connection | None = None
        self.lite: sqlite3.Connection | None = None
        if database_url.startswith("sqlite"):
            self.lite = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        else:
            plain = database_url.replace("postgresql+asyncpg", "postgresql")
            self.pg = self.loop.run_until_complete(asyncpg.connect(plain))

    def __call__(self) -> tuple[int, ...]:
        if self.lite is not None:
            return tuple(self.lite.execute(self.sql).fetchone())
        assert self.pg is not None
        row = self.loop.run_until_complete(self.pg.fetchrow(self.sql))
        return tuple(row)

    def close(self) -> None:
        if self.lite is not None:
            self.lite.close()
        if self.pg is not None:
            self.loop.run_until_complete(self.pg.close())
        self.loop.close()


@pytest.fixture
def hostile(settings: Settings) -> Iterator[tuple[TestClient, PartnerKeys, RowCounts]]:
    # The sandbox persisted in the same database, so that its writes are counted too.
    quiet = settings.model_copy(
        update={"webhook_poll_seconds": 0, "admin_token": ADMIN_TOKEN, "sandbox_persist": True}
    )
    partner = make_partner(quiet)
    clock = FakeClock()
    pack_id = make_pack(quiet, slug="hostile-pack", clock=clock)
    app = create_app(quiet, clock=clock, randomness=SeededRandomness(22))
    counts = RowCounts(quiet.database_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for key in (partner.key, partner.sandbox_key):  # something to find, sell, ship
            bought = client.post(
                "/api/v1/vm/buy/init" if key == partner.key else "/_/api/v1/vm/buy/init",
                headers={"X-API-Key": key},
                json={"id": pack_id, "amount": 4, "user_id": "alice"},
            )
            assert bought.status_code == 200, bought.text
            items = [nft["id"] for nft in bought.json()["nfts"]]
            GOOD[key == partner.sandbox_key] = {
                "id": pack_id,
                "pack_id": pack_id,
                "user_id": "alice",
                "amount": 1,
                "item_id": items[0],
                "item_ids": items[1:3],
                "destination": ADDRESS,
                "session_id": bought.json()["session_id"],
                "quote_id": "quote_x_rate_standard",
                "client_seed": "seed",
                "url": "https://example.com/hook",
                "fmv": 12.5,
                "status": "processing",
                "to": "processing",
                "note": "n",
                "error": "transaction_failed",
                "name": "hostile-partner",
                "sandbox": False,
                "carrier": "UPS",
                "tracking_number": "1Z999",
            }
        try:
            yield client, partner, counts
        finally:
            counts.close()


def headers_for(path: str, partner: PartnerKeys) -> dict[str, str]:
    if path.startswith("/_/"):
        return {"X-API-Key": partner.sandbox_key}
    if path.startswith("/admin/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return {"X-API-Key": partner.key}


def body_fields(operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    fields = list(content.get("schema", {}).get("properties", {}))
    return fields or (["name", "id", "url"] if "requestBody" in operation else [])


def check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str), (
            f"{what}: {response.status_code} {response.text[:300]}"
        )


def encoded(value: str) -> str:
    """`value` percent-encoded; a lone surrogate as the bytes a client would send for it."""
    return quote(value.replace(SURROGATE, "\ufffe"), safe="").replace("%EF%BF%BE", "%ED%A0%80x")


def filled_path(template: str, parameter: str, value: str) -> str:
    path = template
    for name in [p.split("}")[0] for p in template.split("{")[1:]]:
        raw = value if name == parameter else "alice"
        path = path.replace("{" + name + "}", encoded(raw) if raw != ".." else raw)
    return path


def test_hostile_input_never_5xx_never_writes(
    hostile: tuple[TestClient, PartnerKeys, RowCounts],
) -> None:
    client, partner, counts = hostile
    spec = client.get("/openapi.json").json()
    sent = 0
    before = counts()
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            headers = headers_for(template, partner)
            requests: list[tuple[str, dict[str, Any]]] = []
            path_params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            query_params = [
                p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
            ]
            base = filled_path(template, "", "")
            for name in path_params:
                for value in PATH_VALUES:
                    requests.append((filled_path(template, name, value), {}))
            for name in query_params:
                for value in QUERY_VALUES:
                    requests.append((f"{base}?{name}={encoded(value)}", {}))
            good = GOOD[template.startswith("/_/")]
            fields = body_fields(operation)
            for name in fields:
                for value in VALUES:
                    requests.append((base, {"json": {name: value}}))
                    others = {other: good[other] for other in fields if other in good}
                    requests.append((base, {"json": {**others, name: value}}))
            if "destination" in body_fields(operation):  # an address with one hostile member
                for value in VALUES:
                    for name in ("line1", "extra", "x" * 100):
                        destination = {**ADDRESS, name: value}
                        requests.append(
                            (base, {"json": {"item_ids": ["x"], "destination": destination}})
                        )
            if "requestBody" in operation:
                requests.append((base, {"json": {"field": HUGE}}))
                requests.append((base, {"content": b'{"a": "\\ud800"}'}))
                requests.append((base, {"json": [{"nested": [NUL]}]}))
            for path, extra in requests:
                what = f"{method.upper()} {path[:120]} {str(extra)[:120]}"
                sending = dict(headers)
                if "json" in extra:  # ASCII JSON: a lone surrogate goes as its escape
                    extra = {"content": json.dumps(extra["json"]).encode()}
                    sending["Content-Type"] = "application/json"
                response = client.request(method, path, headers=sending, **extra)
                sent += 1
                check(response, what)
                after = counts()
                if response.status_code >= 400:
                    assert after == before, f"{what}: a refused request wrote rows"
                before = after
    assert sent > 1000


def test_the_issue_22_table_gives_clear_4xx(
    hostile: tuple[TestClient, PartnerKeys, RowCounts],
) -> None:
    client, partner, counts = hostile
    h = {"X-API-Key": partner.key}
    before = counts()
    for user_id in (NUL, "x" * 100_000, "x" * 5_000, "a/b", ".."):
        answer = client.post(
            "/api/v1/vm/buy/init", headers=h, json={"id": "p", "amount": 1, "user_id": user_id}
        )
        assert answer.status_code == 400
        assert answer.json()["error"].startswith("user_id must be 1 to 128 characters")
    for path, message in (
        ("/api/v1/inventory/%00x", "User not found"),
        ("/api/v1/card/%00x", "Card not found"),
        ("/api/v1/ship/order/%00x", "Order not found"),
    ):
        answer = client.get(path, headers=h)
        assert (answer.status_code, answer.json()) == (404, {"error": message})
    answer = client.post("/api/v1/vm/buyback", headers=h, json={"item_id": NUL})
    assert (answer.status_code, answer.json()) == (400, {"error": "Item not found"})
    for key in ("x" * 300, ""):
        answer = client.post(
            "/api/v1/vm/buyback", headers={**h, "Idempotency-Key": key}, json={"item_id": "i"}
        )
        assert answer.status_code == 400 and "Idempotency-Key must be" in answer.json()["error"]
    assert counts() == before
    # Every accepted user_id is addressable: a pull, then its inventory by the encoded path.
    pack_id = client.get("/api/v1/vm/available", headers=h).json()[0]["id"]
    for user_id in ("b b", "é+x", "semi;colon", "100%", "a\\b", "\u202eevil"):
        bought = client.post(
            "/api/v1/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": user_id}
        )
        assert bought.status_code == 200, bought.text
        held = client.get(f"/api/v1/inventory/{quote(user_id, safe='')}", headers=h)
        assert held.status_code == 200 and held.json()["user_id"] == user_id
    # A client seed with a space is refused, and the message says so.
    seed = client.post(
        "/api/v1/fairness/users/alice/client-seed", headers=h, json={"client_seed": "a b"}
    )
    assert seed.json() == {
        "error": "client_seed must be 1 to 64 printable ASCII characters, without spaces"
    }
    # A body over the default limit (1 MiB) is refused before it is read whole.
    too_big = client.post("/api/v1/vm/buyback", headers=h, json={"item_id": HUGE})
    assert (too_big.status_code, too_big.json()) == (413, {"error": "Content Too Large"})


CONSOLE_FORMS = [
    "/signin",
    "/partners",
    "/partners/{name}/keys",
    "/partners/{name}/webhooks",
    "/packs/{pack_id}/disable",
    "/cards/{card_id}/retire",
    "/orders/{order_id}/advance",
]


def test_console_takes_hostile_forms_and_paths_without_5xx_or_writes(
    hostile: tuple[TestClient, PartnerKeys, RowCounts],
) -> None:
    client, _partner, counts = hostile
    signed_in = client.post("/console/signin", data={"token": ADMIN_TOKEN})
    assert signed_in.status_code < 400
    page = client.get("/console/packs")
    csrf = page.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    before = counts()
    for form in CONSOLE_FORMS:
        for value in PATH_VALUES:
            path = (
                "/console" + filled_path(form, form.split("{")[1].split("}")[0], value)
                if "{" in form
                else "/console" + form
            )
            for fields in ({"name": value, "url": value, "token": value, "note": value}, {}):
                body = "&".join(f"{k}={encoded(v)}" for k, v in {**fields, "csrf": csrf}.items())
                answer = client.post(
                    path,
                    content=body.encode(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-CSRF-Token": csrf,
                    },
                    follow_redirects=False,
                )
                assert answer.status_code < 500, f"POST {path[:100]}: {answer.status_code}"
                after = counts()
                if answer.status_code >= 400:
                    assert after == before, f"POST {path[:100]}: a refused request wrote rows"
                before = after
        get = client.get("/console" + filled_path("/cards/{c}", "c", PATH_VALUES[0]))
        assert get.status_code < 500


def store_user(settings: Settings, partner_name: str, user_id: str) -> None:
    """A user as a pull before the user_id rule stored it."""

    async def work(runtime: Runtime) -> None:
        partner_id = await partner_id_of(Unit(runtime.db), partner_name)
        async with runtime.db.write() as conn:
            await InventoryRepository(conn).ensure_user(partner_id, user_id, runtime.clock())

    run(settings, work)


def test_a_user_id_stored_before_the_rule_stays_readable(
    hostile: tuple[TestClient, PartnerKeys, RowCounts], settings: Settings
) -> None:
    """An id the rule now refuses (SQLite took a 5,000-character user_id before 7 December
    2026) is refused for a new pull, but its inventory is still listed."""
    client, partner, _counts = hostile
    h = {"X-API-Key": partner.key}
    long_id = "é" * 200  # over the rule, within the column (256 characters)
    refused = client.post(
        "/api/v1/vm/buy/init",
        headers=h,
        json={"id": GOOD[False]["id"], "amount": 1, "user_id": long_id},
    )
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("user_id must be 1 to 128 characters")
    store_user(settings, partner.name, long_id)
    listed = client.get(f"/api/v1/inventory/{quote(long_id, safe='')}", headers=h)
    assert (listed.status_code, listed.json()) == (200, {"user_id": long_id, "items": []})
