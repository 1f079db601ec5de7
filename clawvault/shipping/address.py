"""Destination address validation, with a corrected suggestion where one can be offered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "District of Columbia",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
    "AA": "Armed Forces Americas",
    "AE": "Armed Forces Europe",
    "AP": "Armed Forces Pacific",
}
CA_PROVINCES = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}
AU_STATES = {
    "ACT": "Australian Capital Territory",
    "NSW": "New South Wales",
    "NT": "Northern Territory",
    "QLD": "Queensland",
    "SA": "South Australia",
    "TAS": "Tasmania",
    "VIC": "Victoria",
    "WA": "Western Australia",
}
REGIONS = {"US": US_STATES, "CA": CA_PROVINCES, "AU": AU_STATES}
REGION_CODES_BY_NAME = {
    country: {name.upper(): code for code, name in regions.items()}
    for country, regions in REGIONS.items()
}

COUNTRY_NAMES = {
    "USA": "US",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "AMERICA": "US",
    "CANADA": "CA",
    "CAN": "CA",
    "MEXICO": "MX",
    "UNITED KINGDOM": "GB",
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "GERMANY": "DE",
    "DEUTSCHLAND": "DE",
    "FRANCE": "FR",
    "SPAIN": "ES",
    "ITALY": "IT",
    "NETHERLANDS": "NL",
    "JAPAN": "JP",
    "AUSTRALIA": "AU",
    "AUS": "AU",
    "NEW ZEALAND": "NZ",
    "IRELAND": "IE",
    "SOUTH KOREA": "KR",
    "KOREA": "KR",
    "SINGAPORE": "SG",
    "HONG KONG": "HK",
}

POSTAL_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "US": (re.compile(r"^\d{5}$"), "a 5-digit ZIP code"),
    "CA": (re.compile(r"^[A-Z]\d[A-Z] \d[A-Z]\d$"), "a postal code like K1A 0B1"),
    "GB": (re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"), "a postcode like SW1A 1AA"),
    "DE": (re.compile(r"^\d{5}$"), "a 5-digit Postleitzahl"),
    "FR": (re.compile(r"^\d{5}$"), "a 5-digit code postal"),
    "ES": (re.compile(r"^\d{5}$"), "a 5-digit código postal"),
    "IT": (re.compile(r"^\d{5}$"), "a 5-digit CAP"),
    "AU": (re.compile(r"^\d{4}$"), "a 4-digit postcode"),
    "NZ": (re.compile(r"^\d{4}$"), "a 4-digit postcode"),
    "JP": (re.compile(r"^\d{3}-\d{4}$"), "a postal code like 100-0001"),
    "NL": (re.compile(r"^\d{4} [A-Z]{2}$"), "a postcode like 1012 AB"),
    "MX": (re.compile(r"^\d{5}$"), "a 5-digit código postal"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
OPTIONAL = ("line2", "state", "phone", "email")
POSTAL_ALIASES = ("postal_code", "zip", "zip_code", "postcode")


@dataclass
class AddressCheck:
    normalized: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    fixable: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def details(self) -> str:
        return "; ".join(self.problems)


def _postal_key(destination: dict[str, Any]) -> str:
    for key in POSTAL_ALIASES:
        if key in destination:
            return key
    return "postal_code"


def _normalize_postal(country: str, value: str) -> str:
    compact = re.sub(r"\s+", " ", value.strip().upper())
    if country == "US":
        match = re.fullmatch(r"(\d{5})(?:[- ]?\d{4})?", compact)
        return match.group(1) if match else compact
    if country == "CA":
        raw = compact.replace(" ", "")
        return f"{raw[:3]} {raw[3:]}" if len(raw) == 6 else compact
    if country == "GB":
        raw = compact.replace(" ", "")
        return f"{raw[:-3]} {raw[-3:]}" if 5 <= len(raw) <= 7 else compact
    if country == "JP":
        raw = compact.replace("-", "")
        return f"{raw[:3]}-{raw[3:]}" if len(raw) == 7 and raw.isdigit() else compact
    if country == "NL":
        raw = compact.replace(" ", "")
        return f"{raw[:4]} {raw[4:]}" if len(raw) == 6 else compact
    return compact


def _normalize_country(value: str) -> str:
    upper = value.strip().upper()
    return COUNTRY_NAMES.get(upper, upper)


def _normalize_region(country: str, value: str) -> str:
    upper = value.strip().upper()
    by_name = REGION_CODES_BY_NAME.get(country)
    if by_name is None:
        return value.strip()
    return by_name.get(upper, upper)


# The destination is stored and echoed as sent: every member is bounded and plain text.
ADDRESS_FIELD_MAX = 200
ADDRESS_MAX_FIELDS = 20
ADDRESS_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def unsafe_fields(destination: dict[str, Any]) -> list[str]:
    """Problems that make an address unstorable: too many members, a member name that is not
    a plain identifier, a value that is not a string, number, boolean or null, or a string over
    ADDRESS_FIELD_MAX characters or holding a control character."""
    if len(destination) > ADDRESS_MAX_FIELDS:
        return [f"destination must have at most {ADDRESS_MAX_FIELDS} fields"]
    problems = []
    for key, value in destination.items():
        if not ADDRESS_KEY.fullmatch(key):
            problems.append("field names must be 1 to 64 characters of A-Z a-z 0-9 _")
        elif isinstance(value, str):
            if len(value) > ADDRESS_FIELD_MAX or CONTROL.search(value):
                problems.append(
                    f"{key} must be at most {ADDRESS_FIELD_MAX} characters, "
                    "without control characters"
                )
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not -(2**53) <= value <= 2**53:
                problems.append(f"{key} must be a string")
        elif value is not None and not isinstance(value, bool):
            problems.append(f"{key} must be a string")
    return problems


def check_address(destination: Any, *, any_country: bool = False) -> AddressCheck:
    """Strict: an address must be in canonical form. Everything that is off is reported; when
    every problem is a matter of form (spaces, case, ZIP+4, a country or state written out),
    `normalized` is the corrected address to suggest. any_country (the sandbox): the country is
    not checked here at all; the caller applies its own country rule."""
    if not isinstance(destination, dict):
        return AddressCheck({}, ["destination must be an object"], fixable=False)
    unsafe = unsafe_fields(destination)
    if unsafe:
        return AddressCheck({}, unsafe, fixable=False)
    check = AddressCheck(normalized=dict(destination))
    postal_key = _postal_key(destination)

    for key in ("name", "line1", "city", postal_key, "country", *OPTIONAL):
        value = destination.get(key)
        required = key not in OPTIONAL
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            check.problems.append(f"{key} is required")
            check.fixable = False
        elif value is not None and not isinstance(value, str):
            check.problems.append(f"{key} must be a string")
            check.fixable = False
    if not check.fixable:
        return check

    for key, value in destination.items():
        if isinstance(value, str) and value != value.strip():
            check.normalized[key] = value.strip()
            check.problems.append(f"{key} has leading or trailing spaces")

    country_raw = destination["country"]
    country = _normalize_country(country_raw)
    if any_country:
        country = country_raw.strip().upper()
    elif country != country_raw:
        check.normalized["country"] = country
        check.problems.append("country must be an upper-case ISO 3166-1 alpha-2 code")
    if not any_country and not re.fullmatch(r"[A-Z]{2}", country):
        check.problems.append(f"country {country_raw.strip()!r} is not an ISO 3166-1 alpha-2 code")
        check.fixable = False
        return check

    regions = REGIONS.get(country)
    state_raw = destination.get("state")
    if regions is not None:
        if not isinstance(state_raw, str) or not state_raw.strip():
            check.problems.append(f"state is required for {country}")
            check.fixable = False
        else:
            state = _normalize_region(country, state_raw)
            if state not in regions:
                check.problems.append(f"state {state_raw.strip()!r} is not a {country} state code")
                check.fixable = False
            elif state != state_raw.strip():
                check.normalized["state"] = state
                check.problems.append(f"state must be the {country} state code ({state})")

    postal_raw = destination[postal_key]
    postal = _normalize_postal(country, postal_raw)
    pattern = POSTAL_PATTERNS.get(country)
    if pattern is not None and not pattern[0].fullmatch(postal):
        check.problems.append(f"{postal_key} {postal_raw.strip()!r} is not {pattern[1]}")
        check.fixable = False
    elif postal != postal_raw.strip():
        check.normalized[postal_key] = postal
        check.problems.append(f"{postal_key} must be written {postal!r}")

    email = destination.get("email")
    if isinstance(email, str) and email.strip() and not EMAIL.fullmatch(email.strip()):
        check.problems.append("email is not a valid address")
        check.fixable = False
    phone = destination.get("phone")
    if isinstance(phone, str) and phone.strip() and not PHONE.fullmatch(phone.strip()):
        check.problems.append("phone is not a valid phone number")
        check.fixable = False
    return check


def country_of(destination: dict[str, Any]) -> str:
    return str(destination.get("country", "")).strip().upper()
