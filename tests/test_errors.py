"""Every error row of the contract, with its exact status and body, in the order of the tables."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clawvault.settings import Settings
from tests.factories import ADDRESS, FakeClock, PartnerKeys, make_pack, make_partner

API = "/api/v1"


def error(response, status: int, message: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.json() == {"error": message}


ROUTES = [
    ("GET", "/vm/available"),
    ("GET", "/vm/recent-pulls"),
    ("POST", "/vm/buy/init"),
    ("POST", "/vm/buy/status"),
    ("GET", "/inventory/someone"),
    ("GET", "/card/anything"),
    ("POST", "/vm/buyback"),
    ("POST", "/ship/quote"),
    ("POST", "/ship/request"),
    ("GET", "/ship/order/order_x"),
    ("GET", "/vm/chase/some-slug"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_valid_key(
    client: TestClient, settings: Settings, method: str, path: str
) -> None:
    partner = make_partner(settings)
    for headers in (
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "cv_live_nope"},
        {"X-API-Key": partner.sandbox_key},
    ):
        error(client.request(method, API + path, headers=headers, json={}), 401, "Invalid API key")


def test_unmatched_route_or_method_is_a_404_or_405_in_the_error_shape(
    client: TestClient, settings: Settings
) -> None:
    # A 404 as the contract says (never a 400), in the API's error shape (issue 22).
    partner = make_partner(settings)
    error(client.get(f"{API}/inventory/", headers=partner.headers), 404, "Not Found")
    error(client.get("/nowhere"), 404, "Not Found")
    error(client.delete(f"{API}/vm/buyback", headers=partner.headers), 405, "Method Not Allowed")


@pytest.fixture
def partner(settings: Settings) -> PartnerKeys:
    return make_partner(settings)


def test_buy_init_errors_in_table_order(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, max_per_mint=3, clock=clock)
    disabled = make_pack(settings, enable=False, clock=clock)
    empty_tier = make_pack(settings, cards_per_tier=(5, 5, 0), clock=clock)
    h = partner.headers

    def buy(body: object):  # type: ignore[no-untyped-def]
        return client.post(f"{API}/vm/buy/init", headers=h, json=body)

    error(buy({"id": "nope", "amount": 0}), 400, "user_id is required")
    error(buy({"id": pack_id, "amount": 1, "user_id": ""}), 400, "user_id is required")
    error(buy({"id": pack_id, "amount": 1, "user_id": "   "}), 400, "user_id is required")
    error(buy({"id": "nope", "amount": 0, "user_id": "u"}), 400, "VM not found")
    error(buy({"amount": 1, "user_id": "u"}), 400, "VM not found")
    for amount in (None, 0, -1, "-3"):
        body = {"id": pack_id, "user_id": "u"} | ({} if amount is None else {"amount": amount})
        error(buy(body), 400, "Amount must be greater than 0")
    # No "greater than 0" for what is no integer at all (issue 22).
    for amount in (1.5, "x", True, {"n": 1}, [1]):
        error(
            buy({"id": pack_id, "user_id": "u", "amount": amount}),
            400,
            "Amount must be a positive integer",
        )
    error(buy({"id": "nope", "amount": 1.5, "user_id": "u"}), 400, "VM not found")
    error(
        buy({"id": pack_id, "amount": 4, "user_id": "u"}),
        400,
        "Amount must be less than or equal to 3",
    )
    error(buy({"id": disabled, "amount": 1, "user_id": "u"}), 400, "Claw machine is out of stock")
    error(buy({"id": empty_tier, "amount": 1, "user_id": "u"}), 400, "Claw machine is out of stock")
    small = make_pack(settings, cards_per_tier=(1, 1, 1), max_per_mint=10, clock=clock)
    error(buy({"id": small, "amount": 4, "user_id": "u"}), 400, "Claw machine is out of stock")
    # nothing of a refused request stays behind
    error(client.get(f"{API}/inventory/u", headers=h), 404, "User not found")


def test_malformed_json_is_a_clear_400(client: TestClient, partner: PartnerKeys) -> None:
    for path in ("/vm/buy/init", "/vm/buyback", "/ship/quote", "/ship/request", "/vm/buy/status"):
        response = client.post(
            API + path,
            headers={**partner.headers, "content-type": "application/json"},
            content=b"{not json",
        )
        assert response.status_code == 400
        assert response.json()["error"].startswith("Malformed JSON body")
        response = client.post(API + path, headers=partner.headers, json=[1, 2])
        assert response.status_code == 400
        assert response.json() == {"error": "Request body must be a JSON object"}


def test_buy_status_errors(client: TestClient, partner: PartnerKeys) -> None:
    for body in ({}, {"session_id": "00000000-0000-0000-0000-000000000000"}, {"session_id": 5}):
        error(
            client.post(f"{API}/vm/buy/status", headers=partner.headers, json=body),
            400,
            "Transaction failed",
        )


def test_inventory_card_order_chase_not_found(
    client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    h = partner.headers
    error(client.get(f"{API}/inventory/ghost", headers=h), 404, "User not found")
    error(client.get(f"{API}/card/v1%7C000%7C0", headers=h), 404, "Card not found")
    error(client.get(f"{API}/ship/order/order_AAAAAAAAAAAAAAAA", headers=h), 404, "Order not found")
    error(client.get(f"{API}/vm/chase/ghost-pack", headers=h), 404, "VM not found")


def test_known_user_with_nothing_left_gets_empty_items(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, clock=clock)
    item = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 1, "user_id": "carol"},
    ).json()["nfts"][0]
    client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item["id"]})
    response = client.get(f"{API}/inventory/carol", headers=partner.headers)
    assert response.status_code == 200
    assert response.json() == {"user_id": "carol", "items": []}


def test_ids_with_pipes_are_url_decoded(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    pack_id = make_pack(settings, card_type="ebay", clock=clock)
    item = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": pack_id, "amount": 1, "user_id": "dan"},
    ).json()["nfts"][0]
    assert "|" in item["id"]
    encoded = item["id"].replace("|", "%7C")
    card = client.get(f"{API}/card/{encoded}", headers=partner.headers)
    assert card.status_code == 200 and card.json()["id"] == item["id"]


def test_buyback_errors(
    client: TestClient, settings: Settings, clock: FakeClock, partner: PartnerKeys
) -> None:
    h = partner.headers
    pack_id = make_pack(settings, window_seconds=3600, clock=clock)
    for body in ({}, {"item_id": ""}, {"item_id": "unknown"}):
        error(client.post(f"{API}/vm/buyback", headers=h, json=body), 400, "Item not found")
    items = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 3, "user_id": "eve"}
    ).json()["nfts"]
    assert (
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": items[0]["id"]}).status_code
        == 200
    )
    error(
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": items[0]["id"]}),
        400,
        "Item not found",
    )
    quote = client.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": [items[1]["id"]], "destination": ADDRESS}
    ).json()
    client.post(f"{API}/ship/request", headers=h, json={"quote_id": quote["quotes"][0]["id"]})
    error(
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": items[1]["id"]}),
        400,
        "Item not found",
    )
    clock.advance(seconds=3599)
    assert (
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": items[2]["id"]}).status_code
        == 200
    )
    more = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": "eve"}
    ).json()["nfts"]
    clock.advance(seconds=3600)
    error(
        client.post(f"{API}/vm/buyback", headers=h, json={"item_id": more[0]["id"]}),
        400,
        "Item has expired",
    )


def test_quote_errors_in_table_order(
    clock: FakeClock, client: TestClient, settings: Settings, partner: PartnerKeys
) -> None:
    h = partner.headers
    pack_id = make_pack(settings, clock=clock)
    items = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 2, "user_id": "fay"}
    ).json()["nfts"]
    other_user = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": "gus"}
    ).json()["nfts"]
    ids = [i["id"] for i in items]

    def quote(body: object):  # type: ignore[no-untyped-def]
        return client.post(f"{API}/ship/quote", headers=h, json=body)

    error(quote({"destination": ADDRESS}), 400, "item_ids is required")
    error(quote({"item_ids": [], "destination": ADDRESS}), 400, "item_ids is required")
    error(quote({"item_ids": "abc", "destination": ADDRESS}), 400, "item_ids is required")

    bad = quote({"item_ids": ids, "destination": {**ADDRESS, "city": ""}})
    assert bad.status_code == 400
    assert bad.json()["error"] == "Invalid destination address"
    assert "city is required" in bad.json()["details"] and "suggested" not in bad.json()

    fixable = quote(
        {
            "item_ids": ids,
            "destination": {
                **ADDRESS,
                "state": "ca ",
                "postal_code": "94105-1234",
                "country": "usa",
                "line1": " 1 Market St",
            },
        }
    )
    body = fixable.json()
    assert fixable.status_code == 400 and body["error"] == "Invalid destination address"
    assert body["suggested"] == ADDRESS
    assert "postal_code" in body["details"] and "state" in body["details"]

    error(quote({"item_ids": [*ids, "missing"], "destination": ADDRESS}), 400, "Item not found")
    error(
        quote({"item_ids": [ids[0], other_user[0]["id"]], "destination": ADDRESS}),
        400,
        "All items must belong to the same user",
    )
    first = quote({"item_ids": ids, "destination": ADDRESS}).json()
    client.post(f"{API}/ship/request", headers=h, json={"quote_id": first["quotes"][0]["id"]})
    error(quote({"item_ids": ids, "destination": ADDRESS}), 400, "No shippable items in request")
    error(
        quote(
            {
                "item_ids": [other_user[0]["id"]],
                "destination": {
                    **ADDRESS,
                    "country": "BR",
                    "state": "SP",
                    "postal_code": "01000-000",
                },
            }
        ),
        422,
        "Country not supported",
    )


def test_ship_request_errors(
    client: TestClient, settings: Settings, clock: FakeClock, partner: PartnerKeys
) -> None:
    h = partner.headers
    for body in ({}, {"quote_id": 7}, {"quote_id": "quote_ABC"}, {"quote_id": ""}):
        error(client.post(f"{API}/ship/request", headers=h, json=body), 400, "quote_id is required")
    error(
        client.post(
            f"{API}/ship/request", headers=h, json={"quote_id": "quote_NOPE_rate_standard"}
        ),
        400,
        "Quote expired",
    )
    pack_id = make_pack(settings, clock=clock)
    items = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 2, "user_id": "hal"}
    ).json()["nfts"]
    quote = client.post(
        f"{API}/ship/quote",
        headers=h,
        json={"item_ids": [i["id"] for i in items], "destination": ADDRESS},
    ).json()
    session = quote["session_id"]
    error(
        client.post(
            f"{API}/ship/request", headers=h, json={"quote_id": f"{session}_rate_teleport"}
        ),
        400,
        "Quote expired",
    )
    assert (
        client.post(
            f"{API}/ship/request", headers=h, json={"quote_id": f"{session}_rate_standard"}
        ).status_code
        == 200
    )
    error(
        client.post(f"{API}/ship/request", headers=h, json={"quote_id": f"{session}_rate_express"}),
        400,
        "Item already shipped",
    )

    later = client.post(
        f"{API}/vm/buy/init", headers=h, json={"id": pack_id, "amount": 1, "user_id": "hal"}
    ).json()["nfts"]
    quote = client.post(
        f"{API}/ship/quote", headers=h, json={"item_ids": [later[0]["id"]], "destination": ADDRESS}
    ).json()
    clock.advance(minutes=15)
    error(
        client.post(f"{API}/ship/request", headers=h, json={"quote_id": quote["quotes"][0]["id"]}),
        400,
        "Quote expired",
    )
