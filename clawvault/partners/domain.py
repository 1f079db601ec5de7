"""API keys: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from clawvault.db.models import Environment

SANDBOX_PREFIX = "sandbox-"
PRODUCTION_PREFIX = "cv_live_"


def new_api_key(environment: Environment) -> str:
    prefix = SANDBOX_PREFIX if environment is Environment.SANDBOX else PRODUCTION_PREFIX
    return prefix + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def environment_of_key(key: str) -> Environment:
    return Environment.SANDBOX if key.startswith(SANDBOX_PREFIX) else Environment.PRODUCTION


def display_prefix(key: str) -> str:
    return key[:14]
