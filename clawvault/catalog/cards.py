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


def parse_card(record: dict[str, Any], default_source: str) -> tuple[CardSpec | None, list[str]]:
    reasons: list[str] = []

    def text(name: str, max_length: int, required: bool = False) -> Any:
        return f.checked(
            reasons, lambda: f.text(record, name, max_length=max_length, required=required)
        )

    card_id = text("id", 128, True)
    pack_ref = text("pack_id", 120, True)
    name = text("name", 300, True)
    image = text("image", 500, True)
    card_type = text("type", 16, True)
    if card_type is not None and card_type not in CARD_TYPES:
        reasons.append(f"type must be one of {', '.join(CARD_TYPES)}")
    fmv = f.checked(reasons, lambda: f.money_cents(record, "fmv", minimum_cents=1))
    as_of = f.checked(reasons, lambda: f.timestamp(record, "fmv_as_of"))
    attributes = f.checked(reasons, lambda: parse_attributes(record))
    values = {
        key: text(key, length)
        for key, length in (
            ("back_image", 500),
            ("custodian", 32),
            ("mint_address", 64),
            ("collection_address", 64),
            ("token_standard", 32),
            ("fmv_source", 64),
        )
    }
    if reasons:
        return None, reasons
    return (
        CardSpec(
            id=card_id,
            pack_ref=pack_ref,
            name=name,
            image=image,
            back_image=values["back_image"],
            attributes=attributes,
            type=card_type,
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
    raw = f.json_value(record, "attributes")
    attributes: list[dict[str, str]] = []
    if raw is not None:
        if not isinstance(raw, list):
            raise f.FieldError("attributes must be a list of {trait_type, value}")
        for entry in raw:
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("trait_type"), str)
                or not isinstance(entry.get("value"), str | int | float)
                or isinstance(entry.get("value"), bool)
            ):
                raise f.FieldError("attributes must be a list of {trait_type, value}")
            attributes.append({"trait_type": entry["trait_type"], "value": str(entry["value"])})
    for column, trait in ATTRIBUTE_COLUMNS.items():
        value = record.get(column)
        if f.is_blank(value):
            continue
        attributes = [a for a in attributes if a["trait_type"] != trait]
        attributes.append({"trait_type": trait, "value": str(value).strip()})
    traits = {a["trait_type"] for a in attributes}
    missing = [t for t in REQUIRED_TRAITS if t not in traits]
    if missing:
        raise f.FieldError(f"attributes need {' and '.join(missing)}")
    return attributes
