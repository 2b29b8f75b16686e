"""Signing keys for access tokens and certificates: stored encrypted in PostgreSQL, rotated, published as a JWKS.

Each process keeps a read-through cache of the keys (public keys to verify locally, the newest private key
to sign). The database stays the truth: a key rotated by another process is picked up on the next refresh
or as soon as a token names a `kid` this process has not seen.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwk

from api.auth.single_flight import SingleFlight
from api.http.dependencies import Connection
from api.settings import Settings

ALGORITHM = "ES256"
KEY_REFRESH_SECONDS = 60.0
# Refetching on an unknown kid is rate limited, so garbage tokens cannot turn into a query storm.
UNKNOWN_KID_REFETCH_SECONDS = 1.0

SELECT_KEYS = "SELECT kid, public_jwk, private_key_encrypted, retired_at FROM signing_keys ORDER BY created_at"
LOCK_KEY_CREATION = "SELECT pg_advisory_xact_lock(7041977000002)"
SELECT_ACTIVE_KID = "SELECT kid FROM signing_keys WHERE retired_at IS NULL"
RETIRE_ACTIVE_KEY = "UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL"
INSERT_KEY = """
INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted) VALUES ($1, $2, $3::jsonb, $4)
"""


class KeyConfigurationError(RuntimeError):
    """The key-encryption key is missing or unusable."""


def key_encryption_key(settings: Settings) -> bytes:
    """The 32-byte key that encrypts private signing keys at rest.

    Production must configure KEY_ENCRYPTION_KEY (base64 of 32 bytes). Development and sandbox generate one
    on first start in the data folder, so `make run` needs no set-up.
    """
    if settings.key_encryption_key:
        try:
            key = base64.b64decode(settings.key_encryption_key, validate=True)
        except ValueError as exc:
            raise KeyConfigurationError("KEY_ENCRYPTION_KEY must be base64") from exc
        if len(key) != 32:
            raise KeyConfigurationError("KEY_ENCRYPTION_KEY must encode exactly 32 bytes")
        return key
    if settings.is_production:
        raise KeyConfigurationError("KEY_ENCRYPTION_KEY is required in production")
    path = Path(settings.data_dir) / "key-encryption.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return base64.b64decode(path.read_text().strip())


def seal(kek: bytes, plaintext: bytes, context: str) -> bytes:
    """`plaintext` encrypted at rest under the key-encryption key, bound to `context` (a kid, an endpoint id)."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, plaintext, context.encode())


def unseal(kek: bytes, blob: bytes, context: str) -> bytes:
    """The plaintext `seal` encrypted for the same `context` (fails on any other context or a changed blob)."""
    return AESGCM(kek).decrypt(blob[:12], blob[12:], context.encode())


@dataclass
class SigningKeyRing:
    """This process's view of the signing keys."""

    kek: bytes = b""
    public_keys: dict[str, jwk.ECKey] = field(default_factory=dict)
    published: list[dict[str, Any]] = field(default_factory=list)
    active: jwk.ECKey | None = None
    loaded_at: float = 0.0
    last_unknown_kid_fetch: float = 0.0
    _reload: SingleFlight = field(default_factory=SingleFlight)

    def _decrypt(self, kid: str, blob: bytes) -> jwk.ECKey:
        return jwk.ECKey.import_key(json.loads(unseal(self.kek, blob, kid)))

    def _encrypt(self, kid: str, private_jwk: dict[str, Any]) -> bytes:
        return seal(self.kek, json.dumps(private_jwk).encode(), kid)

    async def load(self, conn: Connection) -> None:
        """Read every key; decrypt only the active private key."""
        rows = await conn.fetch(SELECT_KEYS)
        public_keys: dict[str, jwk.ECKey] = {}
        published: list[dict[str, Any]] = []
        active = None
        for row in rows:
            public_jwk = json.loads(row["public_jwk"])
            public_keys[row["kid"]] = jwk.ECKey.import_key(public_jwk)
            published.append(public_jwk)
            if row["retired_at"] is None:
                active = self._decrypt(row["kid"], row["private_key_encrypted"])
        self.public_keys, self.published, self.active = public_keys, published, active
        self.loaded_at = time.monotonic()

    async def create_key(self, conn: Connection, *, retire_current: bool) -> str:
        """Make a new signing key (retiring the current one when rotating) and return its kid."""
        async with conn.transaction():
            await conn.execute(LOCK_KEY_CREATION)
            if not retire_current and await conn.fetchval(SELECT_ACTIVE_KID) is not None:
                return str(await conn.fetchval(SELECT_ACTIVE_KID))
            kid = f"key-{time.strftime('%Y%m%d', time.gmtime())}-{secrets.token_hex(4)}"
            private = jwk.ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
            public_jwk = private.as_dict(private=False)
            if retire_current:
                await conn.execute(RETIRE_ACTIVE_KEY)
            await conn.execute(
                INSERT_KEY, kid, ALGORITHM, json.dumps(public_jwk), self._encrypt(kid, private.as_dict(private=True))
            )
        await self.load(conn)
        return kid

    async def ensure_loaded(self, conn: Connection) -> None:
        """Load the keys, creating the first one on a fresh database."""
        await self.load(conn)
        if self.active is None:
            await self.create_key(conn, retire_current=False)

    async def refresh_if_stale(self, pool_acquire: Any) -> None:
        if time.monotonic() - self.loaded_at < KEY_REFRESH_SECONDS:
            return
        await self._reload.run(lambda: self._load_from(pool_acquire))

    async def public_key(self, kid: str, pool_acquire: Any) -> jwk.ECKey | None:
        """The public key named `kid`, fetching the keys again (rarely) when it is unknown here."""
        key = self.public_keys.get(kid)
        if key is not None:
            return key
        now = time.monotonic()
        if now - self.last_unknown_kid_fetch < UNKNOWN_KID_REFETCH_SECONDS:
            return None
        self.last_unknown_kid_fetch = now
        await self._reload.run(lambda: self._load_from(pool_acquire))
        return self.public_keys.get(kid)

    async def _load_from(self, pool_acquire: Any) -> None:
        async with pool_acquire() as conn:
            await self.load(conn)

    def signing_key_set(self) -> jwk.KeySet:
        """The key set holding only the active private key (joserfc puts its kid into the JWS header)."""
        if self.active is None:
            raise KeyConfigurationError("no active signing key loaded")
        return jwk.KeySet([self.active])

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: every key that signed something we may still be asked to verify."""
        return {"keys": list(self.published)}
