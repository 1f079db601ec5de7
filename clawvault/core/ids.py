"""Id formats: pack ids (base58), session uuids, public ids, quote and order ids."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Base32's alphabet onto Crockford's, letter for letter: 5 random bits per character either way.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD.encode())


def base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(BASE58_ALPHABET[rem])
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + "".join(reversed(out))


def address_from_bytes(data: bytes) -> str:
    """A 32-byte, Solana-style address."""
    return base58_encode(hashlib.sha256(data).digest())


def new_address() -> str:
    return base58_encode(secrets.token_bytes(32))


def new_session_id() -> str:
    return str(uuid.uuid4())


def new_public_id() -> str:
    return "_" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))


def new_quote_session_id() -> str:
    # 26 characters of 5 random bits (130 bits), as 26 choices of CROCKFORD would give, without
    # one call to secrets per character (6% of a quote's time).
    return (
        "quote_" + base64.b32encode(secrets.token_bytes(20))[:26].translate(_TO_CROCKFORD).decode()
    )


def new_order_id() -> str:
    return "order_" + base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()


def new_tx_hash() -> str:
    return base58_encode(secrets.token_bytes(64))


RATE_SEPARATOR = "_rate_"


def rate_id(quote_session_id: str, rate_key: str) -> str:
    return f"{quote_session_id}{RATE_SEPARATOR}{rate_key}"


def split_rate_id(quote_id: str) -> tuple[str, str] | None:
    session_id, sep, rate_key = quote_id.rpartition(RATE_SEPARATOR)
    if not sep or not session_id or not rate_key:
        return None
    return session_id, rate_key
