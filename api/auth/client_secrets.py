"""Client secrets: 256 random bits shown once, stored only as an Argon2id hash, checked off the event loop."""

from __future__ import annotations

import asyncio
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.settings import SecretHashProfile

SECRET_PREFIX = "cs_"


def new_client_secret() -> str:
    """A fresh secret: 32 random bytes, URL-safe, with a prefix that secret scanners can recognise."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hasher_for(profile: SecretHashProfile) -> PasswordHasher:
    """Argon2id with RFC 9106's low-memory recommendation, or a cheap variant that only tests may choose."""
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)


class SecretHasher:
    """Hashes and verifies secrets in a small pool of threads of its own: an Argon2 check costs tens of
    milliseconds and 64 MiB, so however many requests arrive at once, at most `concurrency` checks run (the
    others wait their turn) and the event loop and the default executor stay free for everything else."""

    def __init__(self, profile: SecretHashProfile, *, concurrency: int = 2) -> None:
        self._hasher = hasher_for(profile)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # An unknown client id costs no Argon2 work (a flood of random ids would buy it for free), yet its answer
        # takes about as long as a real check: it waits as long as recent checks took.
        self._typical_seconds = 0.05

    async def hash(self, secret: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._hasher.hash, secret)

    def _matches(self, stored_hash: str, secret: str) -> bool:
        started = time.perf_counter()
        try:
            return self._hasher.verify(stored_hash, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._typical_seconds = 0.8 * self._typical_seconds + 0.2 * (time.perf_counter() - started)

    async def matches(self, stored_hash: str | None, secret: str) -> bool:
        """True when `secret` is the one behind `stored_hash` (None: an unknown client, always False)."""
        if stored_hash is None:
            await asyncio.sleep(self._typical_seconds)
            return False
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._matches, stored_hash, secret)
