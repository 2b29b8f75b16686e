"""Staff credentials and tokens: the TOTP second factor, session tokens, and access tokens acting for a person.

The portal never holds a scope of its own to act with: after a staff member logs in (password + TOTP, checked
here by the API), the portal client exchanges the staff session token at `/oauth/token` (RFC 8693 token
exchange) for an access token whose `sub` is the staff member and whose `act` claim names the portal client.
Its scopes are the role's (domain/staff.py) intersected with the portal client's, so a forged portal request
can never exceed the role.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime
from typing import Any

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.auth.oauth_server import AccessTokenGenerator, ReadyClient

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
STAFF_SESSION_TOKEN_TYPE = "urn:prakerja:params:oauth:token-type:staff-session"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
STAFF_SESSION_PREFIX = "sst_"
STAFF_TOKEN_TTL_SECONDS = 300
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1


def new_totp_secret() -> str:
    return pyotp.random_base32()


def encrypt_totp_secret(kek: bytes, staff_id: str, secret: str) -> bytes:
    """AES-GCM with the key-encryption key, bound to the staff id (a row's secret cannot be moved to another)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, secret.encode(), staff_id.encode())


def decrypt_totp_secret(kek: bytes, staff_id: str, blob: bytes) -> str:
    return AESGCM(kek).decrypt(blob[:12], blob[12:], staff_id.encode()).decode()


def accepted_totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to (now ± one step), if it is valid and newer than the last one used."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code) and (last_step is None or step > last_step):
            return step
    return None


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS).provisioning_uri(name=email, issuer_name="Prakerja Portal")


def new_session_token() -> tuple[str, bytes]:
    """A staff session token (shown to the portal once) and the SHA-256 stored in its place."""
    token = STAFF_SESSION_PREFIX + secrets.token_urlsafe(32)
    return token, session_token_digest(token)


def session_token_digest(token: str) -> bytes:
    # 256 random bits need no slow hash: SHA-256 is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).digest()


class StaffUser:
    """The resource owner of a token exchange: Authlib reads its id for `sub`."""

    def __init__(self, staff_id: str) -> None:
        self.staff_id = staff_id

    def get_user_id(self) -> str:
        return self.staff_id


class StaffAccessTokenGenerator(AccessTokenGenerator):
    """RFC 9068 access tokens for a staff member, with `act: {sub: <portal client>}` (RFC 8693 §4.1)."""

    def get_extra_claims(self, client: ReadyClient, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        claims = super().get_extra_claims(client, grant_type, user, scope)
        claims["act"] = {"sub": client.get_client_id()}
        return claims

    def _get_expires_in(self, client: ReadyClient, grant_type: str) -> int:
        # A person's token lives shorter than a machine's: the portal exchanges again when it runs out.
        return min(int(super()._get_expires_in(client, grant_type)), STAFF_TOKEN_TTL_SECONDS)
