"""Reading catalog files: CSV (a header row), JSON (an array, or an object holding one), JSON
Lines. Every format yields (row number, record): row N is the Nth record, counted from 1."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from clawvault.catalog.errors import ImportRejected, RowError

Record = tuple[int, Any]


class FileRecords:
    """Re-iterable records of one file (large imports read it twice: validate, then write)."""

    def __init__(self, path: Path, kind: str, known_fields: Iterable[str]) -> None:
        self.path = path
        self.kind = kind
        self.known = set(known_fields)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json", ".jsonl", ".ndjson"):
            raise ImportRejected(
                [RowError(0, f"{path.name}: use a .csv, .json or .jsonl file")], "files"
            )
        self.format = {"csv": "csv", "json": "json"}.get(suffix[1:], "jsonl")

    def count(self) -> int:
        """How many records (exact for JSON and JSON Lines, lines for CSV: a progress total)."""
        if self.format == "json":
            return len(self._json_array())
        lines = 0
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(0, lines - (1 if self.format == "csv" else 0))

    def __iter__(self) -> Iterator[Record]:
        if self.format == "csv":
            return self._csv()
        if self.format == "json":
            return iter(enumerate(self._json_array(), start=1))
        return self._jsonl()

    def _csv(self) -> Iterator[Record]:
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            unknown = [name for name in header if name not in self.known]
            if not header or unknown:
                reason = (
                    f"header: unknown column(s) {', '.join(map(repr, unknown))}"
                    if unknown
                    else "the file is empty: a CSV file starts with a header row"
                )
                raise ImportRejected([RowError(0, reason)], "files")
            width = len(header)
            for row_number, cells in enumerate(reader, start=1):
                if len(cells) != width:
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line
                    yield row_number, f"has {len(cells)} cells, the header has {width}"
                    continue
                yield row_number, dict(zip(header, cells, strict=True))

    def _json_array(self) -> list[Any]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ImportRejected([RowError(0, f"not valid JSON: {exc}")], "files") from exc
        if isinstance(data, dict) and isinstance(data.get(self.kind), list):
            data = data[self.kind]
        if not isinstance(data, list):
            raise ImportRejected(
                [RowError(0, f'expected a JSON array, or an object {{"{self.kind}": [...]}}')],
                "files",
            )
        return data

    def _jsonl(self) -> Iterator[Record]:
        row_number = 0
        with self.path.open("rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row_number += 1
                try:
                    yield row_number, orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield row_number, "is not valid JSON"


def unknown_fields(record: dict[str, Any], known: set[str]) -> list[str]:
    return sorted(key for key in record if key not in known)


def as_object(value: Any, known: set[str]) -> tuple[dict[str, Any] | None, list[str]]:
    """A record as a dict, or the reasons it is not one. A str stands for a reading error."""
    if isinstance(value, str):
        return None, [value]
    if not isinstance(value, dict):
        return None, ["must be a JSON object"]
    unknown = unknown_fields(value, known)
    if unknown:
        return None, [f"unknown field(s) {', '.join(map(repr, unknown))}"]
    return value, []
