"""Signing keys for access tokens and certificates: stored encrypted in PostgreSQL, rotated, published as a JWKS.

Each process keeps a read-through cache of the keys (public keys to verify locally, the newest private key
to sign). The database stays the truth: every signature and every verification first refreshes the cache when
it is older than `key_cache_seconds`, so a rotation (`python -m api keys rotate`, any process) reaches every
process within that interval, whether or not anyone asks for the JWKS.

A retired key stays trusted only for what it may have signed: tokens issued (`iat`) before its retirement (plus
the cache interval and the clock leeway, during which a process may not have heard of the rotation yet), and
only until those expire: `retired_at + grace + token lifetime`. After that it no longer verifies any token and
leaves the JWKS, unless certificates were signed with it: those are verified with the JWKS as long as they
exist (`certificates.signing_kid`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwk

from api.auth.single_flight import SingleFlight
from api.http.dependencies import Connection
from api.settings import Settings

ALGORITHM = "ES256"
# Tokens and clocks may disagree by this much (exp, iat, and a retired key's last signing moment).
CLOCK_LEEWAY_SECONDS = 5
# Refetching on an unknown kid is rate limited, so garbage tokens cannot turn into a query storm.
UNKNOWN_KID_REFETCH_SECONDS = 1.0

# $1: how long after retirement a key may still verify a token (grace + token lifetime).
SELECT_KEYS = """
SELECT k.kid, k.public_jwk, k.private_key_encrypted, extract(epoch FROM k.retired_at)::float8 AS retired_at,
       (k.retired_at IS NULL OR k.retired_at > now() - $1::interval) AS verifies_tokens,
       EXISTS (SELECT 1 FROM certificates c WHERE c.signing_kid = k.kid) AS signed_certificates
  FROM signing_keys k
 ORDER BY k.created_at
"""
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


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key that may verify access tokens, and when it stopped signing (epoch seconds; None: active)."""

    key: jwk.ECKey
    retired_at: float | None

    def may_have_signed(self, issued_at: float, grace_seconds: float) -> bool:
        """A retired key signed nothing issued after its retirement (give or take the grace)."""
        return self.retired_at is None or issued_at <= self.retired_at + grace_seconds


def seal(kek: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """`plaintext` encrypted at rest under the key-encryption key (AES-GCM; nonce first), bound to `associated_data`
    (the row's id), so a ciphertext copied to another row does not decrypt."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, plaintext, associated_data)


def unseal(kek: bytes, blob: bytes, associated_data: bytes) -> bytes:
    """What `seal` encrypted (cryptography's InvalidTag when the key, the data or the binding is wrong)."""
    return AESGCM(kek).decrypt(blob[:12], blob[12:], associated_data)


@dataclass
class SigningKeyRing:
    """This process's view of the signing keys."""

    kek: bytes = b""
    cache_seconds: float = 10.0
    token_lifetime_seconds: int = 900
    public_keys: dict[str, VerificationKey] = field(default_factory=dict)
    published: list[dict[str, Any]] = field(default_factory=list)
    active: jwk.ECKey | None = None
    active_kid: str | None = None
    loaded_at: float = float("-inf")
    last_unknown_kid_fetch: float = 0.0
    _reload: SingleFlight = field(default_factory=SingleFlight)

    def _decrypt(self, kid: str, blob: bytes) -> jwk.ECKey:
        return jwk.ECKey.import_key(json.loads(unseal(self.kek, blob, kid.encode())))

    def _encrypt(self, kid: str, private_jwk: dict[str, Any]) -> bytes:
        return seal(self.kek, json.dumps(private_jwk).encode(), kid.encode())

    @property
    def retirement_grace_seconds(self) -> float:
        """How long after its retirement a key may still have signed (processes hear of a rotation this late)."""
        return self.cache_seconds + CLOCK_LEEWAY_SECONDS

    async def load(self, conn: Connection) -> None:
        """Read the keys that still verify something; decrypt only the active private key."""
        horizon = timedelta(seconds=self.retirement_grace_seconds + self.token_lifetime_seconds + CLOCK_LEEWAY_SECONDS)
        rows = await conn.fetch(SELECT_KEYS, horizon)
        public_keys: dict[str, VerificationKey] = {}
        published: list[dict[str, Any]] = []
        active, active_kid = None, None
        for row in rows:
            public_jwk = json.loads(row["public_jwk"])
            if row["verifies_tokens"]:
                public_keys[row["kid"]] = VerificationKey(jwk.ECKey.import_key(public_jwk), row["retired_at"])
            if row["verifies_tokens"] or row["signed_certificates"]:
                published.append(public_jwk)
            if row["retired_at"] is None:
                active, active_kid = self._decrypt(row["kid"], row["private_key_encrypted"]), row["kid"]
        self.public_keys, self.published, self.active, self.active_kid = public_keys, published, active, active_kid
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

    @property
    def stale(self) -> bool:
        return time.monotonic() - self.loaded_at >= self.cache_seconds

    async def refresh_if_stale(self, pool_acquire: Any) -> None:
        """Reload the keys when this process's copy is older than the cache interval (one reload at a time)."""
        if self.stale:
            await self._reload.run(lambda: self._load_from(pool_acquire))

    async def refresh_on(self, conn: Connection) -> None:
        """`refresh_if_stale` on a connection the caller holds; before signing anything."""
        if self.stale:
            await self._reload.run(lambda: self.load(conn))
        if self.active is None:
            await self.ensure_loaded(conn)

    async def public_key(self, kid: str, pool_acquire: Any) -> VerificationKey | None:
        """The public key named `kid`, fetching the keys again (rarely) when it is unknown here."""
        key = self.public_keys.get(kid)
        if key is not None:
            return key
        now = time.monotonic()
        if not self._reload.running:
            if now - self.last_unknown_kid_fetch < UNKNOWN_KID_REFETCH_SECONDS:
                return None
            self.last_unknown_kid_fetch = now
        # A reload already under way (the one another request started for this new key) is awaited, not skipped:
        # the requests that arrive with a new key's first tokens all wait for the one fetch.
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
        """The public JWKS: every key that signed a token still alive or a certificate."""
        return {"keys": list(self.published)}
