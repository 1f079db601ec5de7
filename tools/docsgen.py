"""The docs site's generated facts, each from its one source: the configuration table from
clawvault's Settings class, the benchmark tables from bench/results/*.json, the API reference
from docs/reference/openapi.json. tools/mkdocs_hooks.py puts them into the pages at build time
where a page says `<!-- generated: NAME -->`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from bench.report import table as bench_table
from clawvault.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OPENAPI_PATH = ROOT / "docs" / "reference" / "openapi.json"
ENV_PREFIX = "CLAWVAULT_"
MARKER = re.compile(r"<!-- generated: ([a-z-]+) -->")


class UndocumentedSetting(Exception):
    """A setting without a description: the configuration table would have a hole."""


# --- configuration ------------------------------------------------------------------------


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined or value is None or value == "":
        return "empty"
    if isinstance(value, bool):
        return "`1` (on)" if value else "`0` (off)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table(settings_class: type[BaseSettings] = Settings) -> str:
    """One row per field of the settings class, in the class's order."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    missing = []
    for name, info in settings_class.model_fields.items():
        if not (info.description or "").strip():
            missing.append(name)
            continue
        variable = f"`{ENV_PREFIX}{name.upper()}`"
        rows.append(
            f"| {variable} | {table_cell(_default(info))} | {table_cell(info.description or '')} |"
        )
    if missing:
        raise UndocumentedSetting(
            "settings without a description in clawvault/settings.py: " + ", ".join(missing)
        )
    return "\n".join(rows)


# --- benchmarks -----------------------------------------------------------------------------


def bench_results() -> list[tuple[Path, dict[str, Any]]]:
    """Every run in bench/results, oldest first (by when it started)."""
    runs = []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "databases" in data and "started_at" in data:
            runs.append((path, data))
    return sorted(runs, key=lambda run: str(run[1]["started_at"]))


def _started(data: dict[str, Any]) -> str:
    started = datetime.fromisoformat(str(data["started_at"]).replace("Z", "+00:00"))
    return started.strftime("%d %b %Y %H:%M UTC")


def _commit(path: Path) -> str:
    """The commit a run measured, when its file name carries one (DATE-COMMIT[-variant])."""
    parts = path.stem.split("-")
    found = [p for p in parts[3:] if re.fullmatch(r"[0-9a-f]{7,40}", p)]
    return found[0] if found else "-"


def latest_run() -> tuple[Path, dict[str, Any]]:
    """The newest run that measured both databases."""
    both = [run for run in bench_results() if {"sqlite", "postgresql"} <= set(run[1]["databases"])]
    if not both:
        raise ValueError(f"no run of both databases in {RESULTS}")
    return both[-1]


def bench_latest() -> str:
    path, data = latest_run()
    head = (
        f"Run of {_started(data)} on the code of `{_commit(path)}`, "
        f"{data['machine'].get('nproc', '?')} cores ({data['machine'].get('cpu', '?')}), "
        f"Python {data['machine'].get('python', '?')}; raw figures in "
        f"`bench/results/{path.name}`.\n\n"
        f"```sh\n{_command(path, data)}\n```\n"
    )
    return head + _demote(bench_table(data))


def _command(path: Path, data: dict[str, Any]) -> str:
    command = re.sub(r"--out \S+", f"--out bench/results/{path.name}", str(data["command"]))
    return ".venv/bin/" + command if command.startswith("python ") else command


def _demote(markdown: str) -> str:
    """bench.report's tables use ### headings; on a page they sit under a ## of their own."""
    return re.sub(r"^### ", "#### ", markdown, flags=re.M)


HEADLINE = ("vm/available", "ship/quote", "buy/init amount 1", "buy/init amount 10", "vm/buyback")


def bench_history() -> str:
    """One row per database of every run, newest first: the headline workloads in req/s."""
    rows = [
        "| started | code | db | baseline | " + " | ".join(HEADLINE) + " | targets met | file |",
        "|---|---|---|---:|" + "---:|" * len(HEADLINE) + "---|---|",
    ]
    for path, data in reversed(bench_results()):
        targets = data.get("targets") or []
        for db, measured in data["databases"].items():
            workloads = measured.get("workloads") or {}
            cells = [
                f"{workloads[name]['closed']['rps']:,.0f}" if name in workloads else "-"
                for name in HEADLINE
            ]
            mine = [t for t in targets if t.get("db") == db]
            met = f"{sum(1 for t in mine if t['met'])} of {len(mine)}" if mine else "-"
            rows.append(
                f"| {_started(data)} | `{_commit(path)}` | {db} "
                f"| {measured.get('baseline_rps', 0):,.0f} | "
                + " | ".join(cells)
                + f" | {met} | `{path.name}` |"
            )
    return "\n".join(rows)


# --- API reference --------------------------------------------------------------------------

SANDBOX_PREFIX = "/_/api/v1"
SECTIONS = (
    (
        "Partner API",
        "/api/v1/",
        "Every route takes `X-API-Key`. Each is also served to sandbox "
        "keys under `/_/api/v1` with the same shapes (see the sandbox guide).",
    ),
    (
        "Sandbox controls",
        "/_/control/",
        "Sandbox keys only; each acts on the calling key's sandbox.",
    ),
    (
        "Admin API",
        "/admin/v1/",
        "`Authorization: Bearer <CLAWVAULT_ADMIN_TOKEN>` (or `X-Admin-Token`). The bodies of "
        "`POST /admin/v1/packs`, `/cards` and `/prices` are the importers' "
        "[file formats](../operator/catalog.md#file-formats).",
    ),
)


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " \\| ".join(json.dumps(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " \\| ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return str(kind)


def _sketch(schema: dict[str, Any], indent: int = 0, depth: int = 0) -> str:
    """A compact picture of a JSON schema: the object's keys with their types, nested."""
    pad = "  " * indent
    if depth > 6:
        return "{...}"
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        if not properties:
            return "{...}" if schema.get("additionalProperties") is not False else "{}"
        required = set(schema.get("required") or [])
        lines = ["{"]
        for name, sub in properties.items():
            optional = "" if name in required else "?"
            lines.append(
                f"{pad}  {json.dumps(name)}{optional}: {_sketch(sub, indent + 1, depth + 1)}"
            )
        lines.append(f"{pad}}}")
        return "\n".join(lines)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return "[" + _sketch(schema["items"], indent, depth + 1) + ", ...]"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_sketch(s, indent, depth + 1) for s in schema[key])
    return _type(schema).replace(" \\| ", " | ")


def _json_content(body: dict[str, Any]) -> dict[str, Any] | None:
    content = body.get("content") or {}
    found = content.get("application/json")
    return found if isinstance(found, dict) else None


def _operation(method: str, path: str, op: dict[str, Any], mirrored: bool) -> list[str]:
    out = [f"### `{method.upper()} {path}`", ""]
    title = op.get("summary") or op.get("operationId", "")
    description = (op.get("description") or "").strip()
    out.append(f"**{title}.** {description}".rstrip())
    if mirrored:
        out.append("")
        out.append(
            f"Also served to sandbox keys as `{method.upper()} {SANDBOX_PREFIX}"
            f"{path.removeprefix('/api/v1')}`."
        )
    params = op.get("parameters") or []
    if params:
        out += ["", "| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            out.append(
                f"| `{p['name']}` | {p.get('in', '')} | {_type(p.get('schema', {}))} "
                f"| {'yes' if p.get('required') else 'no'} "
                f"| {table_cell(p.get('description', ''))} |"
            )
    body = op.get("requestBody")
    if body:
        content = _json_content(body)
        out += ["", "Request body" + (" (JSON):" if content else ":"), ""]
        if content and "schema" in content:
            out += ["```", _sketch(content["schema"]), "```"]
        else:
            out.append(", ".join(f"`{kind}`" for kind in (body.get("content") or {})))
    responses = op.get("responses") or {}
    out += ["", "| status | answer |", "|---|---|"]
    for status, answer in sorted(responses.items(), key=lambda item: item[0]):
        out.append(f"| {status} | {table_cell(_answer(answer))} |")
    ok = next((a for s, a in responses.items() if s.startswith("2")), None)
    if ok:
        content = _json_content(ok)
        if content and "schema" in content:
            out += ["", "Success body:", "", "```", _sketch(content["schema"]), "```"]
    return [*out, ""]


def _answer(answer: dict[str, Any]) -> str:
    description = str(answer.get("description", "")).strip()
    content = _json_content(answer) or {}
    bodies = [
        json.dumps(example.get("value"), ensure_ascii=False)
        for example in (content.get("examples") or {}).values()
        if isinstance(example, dict) and "value" in example
    ]
    if bodies:
        shown = ", ".join(f"`{b}`" for b in bodies)
        return (
            f"{description}: {shown}" if description and not description.startswith("`") else shown
        )
    return description


def api_reference(document: dict[str, Any] | None = None) -> str:
    if document is None:
        document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    info = document.get("info", {})
    out = [f"{info.get('title', 'API')}, version {info.get('version', '?')}.", ""]
    covered = set()
    for title, prefix, note in SECTIONS:
        out += [f"## {title}", "", note, ""]
        for path, operations in paths.items():
            if not path.startswith(prefix):
                continue
            covered.add(path)
            for method, op in operations.items():
                mirrored = (SANDBOX_PREFIX + path.removeprefix("/api/v1")) in paths
                out += _operation(method, path, op, mirrored and prefix == "/api/v1/")
    rest = [p for p in paths if p not in covered and not p.startswith(SANDBOX_PREFIX + "/")]
    if rest:
        out += ["## Other routes", ""]
        for path in rest:
            for method, op in paths[path].items():
                out += _operation(method, path, op, False)
    return "\n".join(out)


GENERATORS: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "bench-latest": bench_latest,
    "bench-history": bench_history,
    "api-reference": api_reference,
}


def expand(markdown: str) -> str:
    """Replace every `<!-- generated: NAME -->` marker with NAME's content."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise KeyError(f"unknown generated section {name!r} (known: {sorted(GENERATORS)})")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)
