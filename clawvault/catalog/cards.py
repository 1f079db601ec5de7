"""A card record (import file row or admin request) checked into a CardSpec."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clawvault.catalog import fields as f

CARD_TYPES = ("enft", "ebay", "fanatics", "alt", "external")
# Convenience columns that become attributes (a CSV has no nested lists).
ATTRIBUTE_COLUMNS = {
    "year": "Year",
    "category": "Category",
    "player": "Player",
    "character": "Character",
    "set": "Set",
    "parallel": "Parallel",
    "grader": "Grader",
    "grade": "Grade",
    "cert_number": "Cert Number",
    "serial": "Serial",
}
REQUIRED_TRAITS = ("Year", "Category")
CARD_FIELDS = {
    "id",
    "pack_id",
    "name",
    "image",
    "back_image",
    "type",
    "custodian",
    "mint_address",
    "collection_address",
    "token_standard",
    "fmv",
    "fmv_source",
    "fmv_as_of",
    "attributes",
    *ATTRIBUTE_COLUMNS,
}
# The catalog columns an import writes (status, owner and pool position are the platform's).
CATALOG_COLUMNS = (
    "pack_id",
    "name",
    "image",
    "back_image",
    "attributes",
    "type",
    "custodian",
    "mint_address",
    "collection_address",
    "token_standard",
)


@dataclass(frozen=True, slots=True)
class CardSpec:
    id: str
    pack_ref: str  # a pack id or slug, resolved against the catalog
    name: str
    image: str
    back_image: str | None
    attributes: list[dict[str, str]]
    type: str
    custodian: str | None
    mint_address: str | None
    collection_address: str | None
    token_standard: str | None
    fmv_cents: int
    fmv_source: str
    fmv_as_of: datetime | None

    def catalog_values(self, pack_id: str) -> dict[str, Any]:
        return {
            "pack_id": pack_id,
            "name": self.name,
            "image": self.image,
            "back_image": self.back_image,
            "attributes": self.attributes,
            "type": self.type,
            "custodian": self.custodian,
            "mint_address": self.mint_address,
            "collection_address": self.collection_address,
            "token_standard": self.token_standard,
        }


# (field, longest length, required): checked in one tight loop (a million rows per import).
TEXT_FIELDS = (
    ("id", 128, True),
    ("pack_id", 120, True),
    ("name", 300, True),
    ("image", 500, True),
    ("type", 16, True),
    ("back_image", 500, False),
    ("custodian", 32, False),
    ("mint_address", 64, False),
    ("collection_address", 64, False),
    ("token_standard", 32, False),
    ("fmv_source", 64, False),
)


def _texts(record: dict[str, Any], reasons: list[str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for name, max_length, required in TEXT_FIELDS:
        value = record.get(name)
        if isinstance(value, str):
            value = value.strip()
        elif isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif value is not None:
            reasons.append(f"{name} must be a string")
            value = None
        if not value:
            if required:
                reasons.append(f"{name} is required")
            values[name] = None
        elif len(value) > max_length:
            reasons.append(f"{name} is longer than {max_length} characters")
            values[name] = None
        else:
            values[name] = value
    return values


def parse_card(record: dict[str, Any], default_source: str) -> tuple[CardSpec | None, list[str]]:
    reasons: list[str] = []
    values = _texts(record, reasons)
    card_type = values["type"]
    if card_type is not None and card_type not in CARD_TYPES:
        reasons.append(f"type must be one of {', '.join(CARD_TYPES)}")
    fmv: int | None = None
    as_of: datetime | None = None
    attributes: list[dict[str, str]] | None = None
    try:
        fmv = f.money_cents(record, "fmv", minimum_cents=1)
    except f.FieldError as exc:
        reasons.append(str(exc))
    try:
        as_of = f.timestamp(record, "fmv_as_of")
    except f.FieldError as exc:
        reasons.append(str(exc))
    try:
        attributes = parse_attributes(record)
    except f.FieldError as exc:
        reasons.append(str(exc))
    if reasons or fmv is None or attributes is None:
        return None, reasons
    return (
        CardSpec(
            id=values["id"],  # type: ignore[arg-type]
            pack_ref=values["pack_id"],  # type: ignore[arg-type]
            name=values["name"],  # type: ignore[arg-type]
            image=values["image"],  # type: ignore[arg-type]
            back_image=values["back_image"],
            attributes=attributes,
            type=card_type,  # type: ignore[arg-type]
            custodian=values["custodian"],
            mint_address=values["mint_address"],
            collection_address=values["collection_address"],
            token_standard=values["token_standard"],
            fmv_cents=fmv,
            fmv_source=values["fmv_source"] or default_source,
            fmv_as_of=as_of,
        ),
        [],
    )


def parse_attributes(record: dict[str, Any]) -> list[dict[str, str]]:
    raw = f.json_value(record, "attributes") if "attributes" in record else None
    traits: dict[str, str] = {}
    if raw is not None:
        if not isinstance(raw, list):
            raise f.FieldError("attributes must be a list of {trait_type, value}")
        for entry in raw:
            value = entry.get("value") if isinstance(entry, dict) else None
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("trait_type"), str)
                or not isinstance(value, str | int | float)
                or isinstance(value, bool)
            ):
                raise f.FieldError("attributes must be a list of {trait_type, value}")
            traits[entry["trait_type"]] = str(value)
    for column, trait in ATTRIBUTE_COLUMNS.items():
        value = record.get(column)
        if value:  # a column overrides the same trait given in attributes
            text = value.strip() if isinstance(value, str) else str(value)
            if text:
                traits.pop(trait, None)
                traits[trait] = text
    missing = [t for t in REQUIRED_TRAITS if t not in traits]
    if missing:
        raise f.FieldError(f"attributes need {' and '.join(missing)}")
    return [{"trait_type": trait, "value": value} for trait, value in traits.items()]
