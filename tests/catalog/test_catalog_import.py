"""The importers: packs, cards and prices files (CSV, JSON, JSON Lines), validated whole,
idempotent by id, and the operator's path from empty files to live prices."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from clawvault.catalog.cards import CARD_FIELDS
from clawvault.catalog.cards_service import import_cards
from clawvault.catalog.errors import ImportRejected
from clawvault.catalog.records import FileRecords
from clawvault.cli import main
from clawvault.core.timeutil import utcnow
from clawvault.db.unit import Unit
from clawvault.settings import Settings, get_settings
from tests.factories import FakeClock, make_partner, run
from tests.operator import (
    ADMIN,
    ADMIN_API,
    API,
    card_row,
    operator_client,
    operator_settings,
    snapshot,
)

EXAMPLES = Path(__file__).parents[2] / "examples" / "catalog"
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}T")
# The day the examples' prices are moved to: the day before the run.
EXAMPLE_DAY = (utcnow() - timedelta(days=1)).date().isoformat()


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped example files, their prices moved to the day before the run (times of day
    kept): the CLI imports on the real clock, and refuses a price from its future, which the
    files' fixed dates would be on a clock before them."""
    copies = tmp_path_factory.mktemp("examples")
    for source in EXAMPLES.iterdir():
        (copies / source.name).write_text(ISO_DAY.sub(f"{EXAMPLE_DAY}T", source.read_text()))
    return copies


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLAWVAULT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CLAWVAULT_SQLITE_SYNCHRONOUS", "NORMAL")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def import_examples(cli: CliRunner, examples: Path) -> list[str]:
    outputs = []
    for kind in ("packs", "cards", "prices"):
        result = invoke(cli, kind, "import", str(examples / f"{kind}.csv"))
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout.strip())
    return outputs


def test_from_empty_files_to_live_prices(
    examples: Path, cli: CliRunner, settings: Settings
) -> None:
    """The operator guide's walk-through (docs/operator/catalog.md): import, see EV in
    /vm/available, push a price, sell back. The operator's app runs on the clock the CLI
    imported on: the real one, held still."""
    clock = FakeClock(utcnow())
    assert import_examples(cli, examples) == [
        "packs: 2 rows, 2 created, 0 updated, 0 unchanged",
        "cards: 5 rows, 5 created, 0 updated, 0 unchanged",
        "prices from file:prices.csv: 2 received, 2 applied, 0 for unknown cards, 0 rejected",
    ]
    settings = operator_settings(settings)
    partner = make_partner(settings)
    with operator_client(settings, clock) as client:
        packs = {
            p["slug"]: p for p in client.get(f"{API}/vm/available", headers=partner.headers).json()
        }
        pokemon, hoops = packs["vault-pokemon"], packs["vault-hoops"]
        # .80 × mean(12.50) + .18 × mean(22.40, 71.25) + .02 × mean(420.00)
        assert (pokemon["ev"], pokemon["in_stock"], pokemon["enable"]) == (26.83, True, True)
        assert pokemon["mint_price"] == 35 and pokemon["buyback_percent"] == 0.85
        assert [t["name"] for t in pokemon["rarity_distribution"]] == ["Common", "Rare", "Grail"]
        # .90 × 30.00 + .10 × the empty Star tier's lower bound 45.00; disabled, not in stock
        assert (hoops["ev"], hoops["in_stock"], hoops["enable"]) == (31.5, False, False)

        bought = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pokemon["id"], "amount": 1, "user_id": "op-user"},
        )
        assert bought.status_code == 200, bought.text
        item_id = bought.json()["nfts"][0]["id"]
        clock.advance(minutes=1)
        pushed = client.post(
            f"{ADMIN_API}/prices", headers=ADMIN, json={"card_id": item_id, "fmv": 100}
        )
        assert pushed.json()["applied"] == 1
        items = client.get(f"{API}/inventory/op-user", headers=partner.headers).json()["items"]
        assert items[0]["buyback_price"] == 85
        sold = client.post(f"{API}/vm/buyback", headers=partner.headers, json={"item_id": item_id})
        assert sold.json() == {"success": True, "amount": 85}


def test_reimporting_the_same_files_changes_nothing(
    examples: Path, cli: CliRunner, settings: Settings
) -> None:
    import_examples(cli, examples)
    before = snapshot(settings)
    assert import_examples(cli, examples) == [
        "packs: 2 rows, 0 created, 0 updated, 2 unchanged",
        "cards: 5 rows, 0 created, 0 updated, 5 unchanged",
        "prices from file:prices.csv: 2 received, 0 applied, 0 for unknown cards, 0 rejected",
    ]
    assert snapshot(settings) == before


def test_json_and_json_lines_files_import_the_same(
    examples: Path, cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    import_examples(cli, examples)
    before = snapshot(settings)
    pack = {
        "slug": "vault-pokemon",
        "name": "Vault Pokémon",
        "description": "Graded Pokémon from our own vault.",
        "mint_price": 35,
        "max_per_mint": 10,
        "buyback_percent": 0.85,
        "buyback_window_days": 7,
        "categories": ["Pokemon"],
        "claw_image_url": "https://cdn.example.com/claw/pokemon.png",
        "enable": True,
        "tiers": [
            {"name": "Common", "color": "#9CA3AF", "lower": 5, "upper": 20, "weight": 80},
            {"name": "Rare", "color": "#3B82F6", "lower": 20, "upper": 100, "weight": 18},
            {"name": "Grail", "color": "#F59E0B", "lower": 100, "upper": 1000, "weight": 2},
        ],
    }
    (tmp_path / "packs.json").write_bytes(orjson.dumps({"packs": [pack]}))
    result = invoke(cli, "packs", "import", str(tmp_path / "packs.json"))
    assert result.stdout.strip() == "packs: 1 rows, 0 created, 0 updated, 1 unchanged"
    card = {
        "id": "psa-81234567",
        "pack_id": "vault-pokemon",
        "name": "2023 151 Bulbasaur #1 PSA 10",
        "image": "https://cdn.example.com/c/81234567.jpg",
        "back_image": "https://cdn.example.com/c/81234567-back.jpg",
        "type": "alt",
        "custodian": "Alt",
        "fmv": 12.5,
        "fmv_as_of": f"{EXAMPLE_DAY}T09:00:00Z",
        "attributes": [
            {"trait_type": "Year", "value": "2023"},
            {"trait_type": "Category", "value": "Pokemon"},
            {"trait_type": "Character", "value": "Bulbasaur"},
            {"trait_type": "Set", "value": "151"},
            {"trait_type": "Grader", "value": "PSA"},
            {"trait_type": "Grade", "value": "PSA 10.0"},
            {"trait_type": "Cert Number", "value": "81234567"},
        ],
    }
    (tmp_path / "cards.jsonl").write_bytes(orjson.dumps(card) + b"\n")
    result = invoke(cli, "cards", "import", str(tmp_path / "cards.jsonl"))
    assert result.stdout.strip() == "cards: 1 rows, 0 created, 0 updated, 1 unchanged"
    assert snapshot(settings) == before


def test_a_file_with_bad_rows_changes_nothing_and_reports_each(
    examples: Path, cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    import_examples(cli, examples)
    before = snapshot(settings)
    good = "new-1,vault-pokemon,Good card,https://x/1.jpg,,alt,,9.00,,2024,Pokemon,PSA,PSA 9.0"
    rows = [
        "id,pack_id,name,image,back_image,type,custodian,fmv,fmv_as_of,year,category,grader,grade",
        good,
        "new-2,no-such-pack,Card,https://x/2.jpg,,alt,,9.00,,2024,Pokemon,PSA,PSA 9.0",
        "new-3,vault-pokemon,Card,https://x/3.jpg,,alt,,9.001,,2024,Pokemon,PSA,PSA 9.0",
        "new-4,vault-pokemon,Card,https://x/4.jpg,,alt,,9.00,,,Pokemon,PSA,PSA 9.0",
        good.replace("Good card", "Same id again"),
        "new-6,vault-pokemon,Card,https://x/6.jpg,,box,,9.00,yesterday,2024,Pokemon,PSA,PSA 9.0",
        "new-7,vault-pokemon,too few cells",
    ]
    path = tmp_path / "cards.csv"
    path.write_text("\n".join(rows) + "\n")
    result = invoke(cli, "cards", "import", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert lines == [
        "row 2: pack_id 'no-such-pack' is not a known pack id or slug",
        "row 3: fmv has more than 2 decimals: '9.001'",
        "row 4: attributes need Year",
        "row 5: id 'new-1' is already in row 1",
        "row 6: type must be one of enft, ebay, fanatics, alt, external",
        "row 6: fmv_as_of is not an ISO 8601 timestamp: 'yesterday'",
        "row 7: has 3 cells, the header has 13",
    ]
    assert "6 bad rows: nothing was applied" in result.stderr
    assert snapshot(settings) == before


def test_a_header_with_an_unknown_column_is_refused(
    examples: Path, cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    import_examples(cli, examples)
    before = snapshot(settings)
    path = tmp_path / "prices.csv"
    path.write_text("card_id,fmv,sorce\npsa-81234567,13.00,tcg\n")
    result = invoke(cli, "prices", "import", str(path))
    assert result.exit_code == 1
    assert "header: unknown column(s) 'sorce'" in result.stderr
    assert snapshot(settings) == before


def test_reimport_updates_changed_cards_and_retiers(
    examples: Path, cli: CliRunner, settings: Settings, tmp_path: Path, clock: FakeClock
) -> None:
    import_examples(cli, examples)
    cards = (examples / "cards.csv").read_text().replace("PSA 8,", "PSA 8 (crease),")
    (tmp_path / "cards.csv").write_text(cards)
    result = invoke(cli, "cards", "import", str(tmp_path / "cards.csv"))
    assert result.stdout.strip() == "cards: 5 rows, 0 created, 1 updated, 4 unchanged"
    assert card_row(settings, "psa-81234570")["name"] == "1999 Base Set Charizard #4 PSA 8 (crease)"

    # new bands (and price, for the guard): the Charizard at $420 is now Rare
    packs = (
        (examples / "packs.csv")
        .read_text()
        .replace("Grail:#F59E0B:100:1000:2", "Grail:#F59E0B:500:1000:2")
        .replace("Rare:#3B82F6:20:100:18", "Rare:#3B82F6:20:500:18")
        .replace("vault.,35,10", "vault.,60,10")
    )
    (tmp_path / "packs.csv").write_text(packs)
    result = invoke(cli, "packs", "import", str(tmp_path / "packs.csv"))
    assert result.stdout.strip() == "packs: 2 rows, 0 created, 1 updated, 1 unchanged", (
        result.stderr
    )
    assert card_row(settings, "psa-81234570")["tier_id"] == 2


def test_a_card_held_by_a_user_cannot_move_pack(
    examples: Path, cli: CliRunner, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    import_examples(cli, examples)
    partner = make_partner(settings)
    with operator_client(operator_settings(settings), clock) as client:
        pokemon = next(
            p
            for p in client.get(f"{API}/vm/available", headers=partner.headers).json()
            if p["slug"] == "vault-pokemon"
        )
        item_id = client.post(
            f"{API}/vm/buy/init",
            headers=partner.headers,
            json={"id": pokemon["id"], "amount": 1, "user_id": "u"},
        ).json()["nfts"][0]["id"]
    before = snapshot(settings)
    lines = (examples / "cards.csv").read_text().splitlines()
    moved = [
        line.replace(",vault-pokemon,", ",vault-hoops,") if line.startswith(item_id + ",") else line
        for line in lines
    ]
    path = tmp_path / "cards.csv"
    path.write_text("\n".join(moved) + "\n")
    with pytest.raises(ImportRejected) as rejected:
        run(
            settings,
            lambda rt: import_cards(rt, Unit(rt.db), FileRecords(path, "cards", CARD_FIELDS)),
        )
    assert len(rejected.value.errors) == 1
    assert "cannot move to another pack" in rejected.value.errors[0].reason
    assert snapshot(settings) == before
