"""The randomness a pull consumes, behind one small interface so tests can seed it and a
verifiable source can replace it."""

from __future__ import annotations

import random
import secrets
from typing import Protocol

POOL_KEY_SPACE = 1 << 62


class Randomness(Protocol):
    def uniform(self) -> float:
        """A number in [0, 1)."""

    def pool_key(self) -> int:
        """A position in the pool key space [0, 2**62)."""

    def token_bytes(self, size: int) -> bytes:
        """Secret random bytes (server seeds)."""


class SystemRandomness:
    def __init__(self) -> None:
        self._random = random.SystemRandom()

    def token_bytes(self, size: int) -> bytes:
        return secrets.token_bytes(size)

    def uniform(self) -> float:
        return self._random.random()

    def pool_key(self) -> int:
        return self._random.randrange(POOL_KEY_SPACE)


class SeededRandomness:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def token_bytes(self, size: int) -> bytes:
        return self._random.randbytes(size)

    def uniform(self) -> float:
        return self._random.random()

    def pool_key(self) -> int:
        return self._random.randrange(POOL_KEY_SPACE)
