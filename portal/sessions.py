"""Server-side portal sessions in PostgreSQL (the portal's own table; never the API's data).

The browser holds only a random session id in a Secure, HttpOnly, SameSite=Strict cookie; the table holds the
SHA-256 of that id, who is logged in, and the API staff session token (encrypted with the portal's key) that the
portal exchanges for short-lived access tokens. A session idle for longer than the idle timeout is gone: a stolen
cookie stops working once its owner stops using it, and at logout at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS portal_sessions (
    id_sha256 bytea PRIMARY KEY,
    staff jsonb NOT NULL,
    api_session_encrypted bytea NOT NULL,
    access_token_encrypted bytea,
    access_expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT_SESSION = "INSERT INTO portal_sessions (id_sha256, staff, api_session_encrypted) VALUES ($1, $2::jsonb, $3)"
# Touching and reading are one statement: a session idle too long is not found (and is deleted by the sweep).
TOUCH_SESSION = """
UPDATE portal_sessions SET last_seen_at = now()
 WHERE id_sha256 = $1 AND last_seen_at > now() - make_interval(secs => $2)
RETURNING staff, api_session_encrypted, access_token_encrypted, access_expires_at
"""
SWEEP_IDLE = "DELETE FROM portal_sessions WHERE last_seen_at <= now() - make_interval(secs => $1)"
SAVE_ACCESS_TOKEN = """
UPDATE portal_sessions SET access_token_encrypted = $2, access_expires_at = $3 WHERE id_sha256 = $1
"""
DELETE_SESSION = "DELETE FROM portal_sessions WHERE id_sha256 = $1 RETURNING api_session_encrypted"


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    """Who is logged in, as the API told the portal at login."""

    id: str
    email: str
    name: str
    role: str
    scopes: tuple[str, ...]

    def can(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, slots=True)
class PortalSession:
    digest: bytes
    staff: StaffIdentity
    api_session_token: str
    access_token: str | None
    access_expires_at: datetime | None


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    """Sessions of every portal process, in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, secret_key: str, idle_timeout_seconds: int) -> None:
        self._pool = pool
        self._aead = AESGCM(hashlib.sha256(("portal-sessions:" + secret_key).encode()).digest())
        self.idle_timeout_seconds = idle_timeout_seconds

    @staticmethod
    async def create_table(pool: asyncpg.Pool) -> None:
        await pool.execute(CREATE_TABLE)

    def _seal(self, digest: bytes, value: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), digest)

    def _open(self, digest: bytes, blob: bytes) -> str:
        return self._aead.decrypt(blob[:12], blob[12:], digest).decode()

    async def create(self, staff: StaffIdentity, api_session_token: str) -> str:
        """A new session; returns the id to put in the cookie (shown to nobody else)."""
        session_id = secrets.token_urlsafe(32)
        digest = _digest(session_id)
        staff_json = json.dumps(
            {"id": staff.id, "email": staff.email, "name": staff.name, "role": staff.role, "scopes": list(staff.scopes)}
        )
        await self._pool.execute(INSERT_SESSION, digest, staff_json, self._seal(digest, api_session_token))
        return session_id

    async def load(self, session_id: str) -> PortalSession | None:
        """The session behind a cookie, if it exists and was used within the idle timeout (and mark it used)."""
        digest = _digest(session_id)
        row = await self._pool.fetchrow(TOUCH_SESSION, digest, float(self.idle_timeout_seconds))
        if row is None:
            return None
        staff: dict[str, Any] = json.loads(row["staff"])
        access = row["access_token_encrypted"]
        return PortalSession(
            digest=digest,
            staff=StaffIdentity(staff["id"], staff["email"], staff["name"], staff["role"], tuple(staff["scopes"])),
            api_session_token=self._open(digest, row["api_session_encrypted"]),
            access_token=self._open(digest, access) if access is not None else None,
            access_expires_at=row["access_expires_at"],
        )

    async def save_access_token(self, session: PortalSession, token: str, expires_at: datetime) -> None:
        await self._pool.execute(SAVE_ACCESS_TOKEN, session.digest, self._seal(session.digest, token), expires_at)

    async def delete(self, session: PortalSession) -> None:
        await self._pool.execute(DELETE_SESSION, session.digest)

    async def sweep(self) -> None:
        await self._pool.execute(SWEEP_IDLE, float(self.idle_timeout_seconds))
