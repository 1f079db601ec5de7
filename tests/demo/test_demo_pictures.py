"""The demo's card and claw pictures are served by clawvault itself (the demo needs no network)."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.demo.service import seed_demo
from clawvault.settings import Settings
from tests.factories import make_partner, run

API = "/api/v1"


def fetch_svg(client: TestClient, url: str) -> ElementTree.Element:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://clawvault.test:8123"
    answer = client.get(parts.path)
    assert answer.status_code == 200, (url, answer.text)
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert "max-age" in answer.headers["cache-control"]
    return ElementTree.fromstring(answer.content)  # well-formed, names escaped


def test_demo_images_load_from_the_server_that_lists_them(
    client: TestClient, settings: Settings
) -> None:
    local = settings.model_copy(update={"public_base_url": "http://clawvault.test:8123/"})

    async def seed(runtime: Runtime) -> int | None:
        return await seed_demo(runtime, Unit(runtime.db), 200, 1)

    assert run(local, seed)
    partner = make_partner(settings)
    packs = client.get(f"{API}/vm/available", headers=partner.headers).json()
    assert len(packs) > 1
    for pack in packs:
        fetch_svg(client, pack["claw_image_url"])
    pulled = client.post(
        f"{API}/vm/buy/init",
        headers=partner.headers,
        json={"id": packs[0]["id"], "amount": 5, "user_id": "pic"},
    ).json()["nfts"]
    for item in pulled:
        metadata = item["content"]["metadata"]
        front = fetch_svg(client, metadata["image"])
        assert front.get("aria-label") == f"{metadata['name']} (front)"
        texts = " ".join(t.text or "" for t in front.iter("{http://www.w3.org/2000/svg}text"))
        grade = next(a["value"] for a in metadata["attributes"] if a["trait_type"] == "Grade")
        assert grade.split()[-1].removesuffix(".0") in texts
        fetch_svg(client, metadata["back_image"])

    unknown = client.get("/demo/cards/no-such-card/front.svg")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Card not found"})
