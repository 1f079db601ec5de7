"""The docs' generated facts come from their one source: every setting documented, the committed
OpenAPI document current, the API reference and the benchmark tables complete."""

from __future__ import annotations

import json

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from clawvault.settings import Settings
from tools import docsgen
from tools.openapi_export import OPENAPI_PATH, openapi_document, render


def test_every_setting_has_a_description_and_a_row_in_the_configuration_table() -> None:
    undocumented = [
        n for n, f in Settings.model_fields.items() if not (f.description or "").strip()
    ]
    assert undocumented == [], f"describe these settings in clawvault/settings.py: {undocumented}"
    page = docsgen.expand((docsgen.ROOT / "docs/operator/configuration.md").read_text())
    for name, info in Settings.model_fields.items():
        row = next(line for line in page.splitlines() if f"`CLAWVAULT_{name.upper()}`" in line)
        assert docsgen.table_cell(info.description or "") in row


class Documented(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAWVAULT_")
    documented: int = Field(1, description="A setting with its meaning.")


class Grown(Documented):
    forgotten: int = 2


def test_an_undocumented_setting_fails_the_table() -> None:
    assert docsgen.settings_table(Documented).endswith(
        "| `CLAWVAULT_DOCUMENTED` | `1` | A setting with its meaning. |"
    )
    with pytest.raises(docsgen.UndocumentedSetting, match="forgotten"):
        docsgen.settings_table(Grown)


def test_the_committed_openapi_document_is_current() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(openapi_document()), (
        "docs/reference/openapi.json is not what the app describes: run `make openapi`, commit"
    )


def test_the_api_reference_has_every_operation_and_every_error_body() -> None:
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    reference = docsgen.api_reference(document)
    for path, operations in document["paths"].items():
        sandbox_mirror = path.startswith(docsgen.SANDBOX_PREFIX + "/")
        for method, operation in operations.items():
            shown = f"{method.upper()} {path}"
            if sandbox_mirror:
                assert f"Also served to sandbox keys as `{shown}`" in reference, shown
                continue
            assert f"### `{shown}`" in reference, shown
            for answer in operation["responses"].values():
                content = answer.get("content", {}).get("application/json", {})
                for example in content.get("examples", {}).values():
                    body = json.dumps(example["value"], ensure_ascii=False)
                    assert body in reference, (shown, body)


def test_the_benchmark_tables_come_from_every_committed_run() -> None:
    runs = docsgen.bench_results()
    assert runs, "bench/results has runs"
    history = docsgen.bench_history()
    for path, data in runs:
        assert history.count(f"`{path.name}`") == len(data["databases"]), path.name
    latest_path, latest = docsgen.latest_run()
    assert latest["started_at"] == max(
        d["started_at"] for _, d in runs if {"sqlite", "postgresql"} <= set(d["databases"])
    )
    table = docsgen.bench_latest()
    assert latest_path.name in table
    rps = latest["databases"]["postgresql"]["workloads"]["buy/init amount 1"]["closed"]["rps"]
    assert f"| buy/init amount 1 | {rps:.0f} |" in table


def test_an_unknown_generated_section_fails_the_page() -> None:
    with pytest.raises(KeyError, match="no-such-table"):
        docsgen.expand("text <!-- generated: no-such-table --> text")
