"""The incumbent programme's request signature, verified for the compatibility layer (docs/compatibility.md).

Its clients send three headers, `client_code`, `timestamp` (Unix seconds) and `signature`, where

    signature = hex(HMAC-SHA1(sign_key, client_code + timestamp + "POST" + path + body))

and `body` is the compact JSON of the request body. The incumbent's own Python example signs the compact form but
sends `json.dumps(body)` (with spaces), so the bytes on the wire are not what was signed. We therefore verify one
canonical form: the body parsed as JSON and serialised again with no whitespace (`","` and `":"` separators), its
members in the order they were sent, non-ASCII characters as themselves (UTF-8, as JavaScript's JSON.stringify
writes them). A compact body is its own canonical form, so clients that sign the bytes they send also pass.

A request is refused when its timestamp is more than 300 seconds from our clock, when no sign key of its
client_code gives its signature (compared in constant time), or when the same (client_code, timestamp, signature)
arrived before: each accepted triple is inserted into `integration_signatures_seen`, whose primary key refuses the
second one in whichever API process it arrives. The worker deletes triples whose timestamp left the window.

Checks run cheapest first and reveal nothing about which client codes exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidTag
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.auth.rate_limits import RateLimiter
from api.auth.signing_keys import unseal
from api.http.errors import ApiError
from domain import clients as client_rules

WINDOW_SECONDS = 300
METHOD = "POST"
CLIENT_CODE_HEADER = "client_code"
TIMESTAMP_HEADER = "timestamp"
SIGNATURE_HEADER = "signature"
# A seen triple is kept until its timestamp has left the window, plus a minute for clock differences between the
# API processes and the database (which decides when to delete it).
SEEN_RETENTION_SECONDS = WINDOW_SECONDS + 60
CALLER = "integration_caller"  # scope state key of the verified caller
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{40}$")
_CLIENT_CODE = re.compile(r"^[\x21-\x7e]{1,64}$")

SELECT_SIGN_KEYS = """
SELECT k.partner_id, k.environment, k.sign_key_encrypted, k.previous_sign_key_encrypted,
       k.previous_sign_key_expires_at > now() AS previous_valid, p.status AS partner_status
  FROM integration_keys k JOIN partners p ON p.id = k.partner_id
 WHERE k.client_code = $1
"""
RECORD_SIGNATURE = """
INSERT INTO integration_signatures_seen (client_code, signed_at, signature, expires_at)
VALUES ($1, $2::bigint, $3, to_timestamp($2::bigint) + make_interval(secs => $4))
ON CONFLICT DO NOTHING
RETURNING 1
"""
DELETE_EXPIRED_SIGNATURES = """
DELETE FROM integration_signatures_seen WHERE (client_code, signed_at, signature) IN (
    SELECT client_code, signed_at, signature FROM integration_signatures_seen
     WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
)
"""


def sign_key_binding(client_code: str) -> bytes:
    """The associated data a sign key is sealed with: its client_code (a key moved to another row won't open)."""
    return b"integration-sign-key\x00" + client_code.encode()


def canonical_body(raw: bytes) -> bytes | None:
    """The signed form of a request body: its JSON re-serialised compactly, members in the order sent; None when
    the body is not a JSON object."""
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


def string_to_sign(client_code: str, timestamp: str, path: str, body: bytes) -> bytes:
    """client_code + timestamp + "POST" + path + body, as the incumbent concatenates them."""
    return f"{client_code}{timestamp}{METHOD}{path}".encode() + body


def sign(sign_key: str, client_code: str, timestamp: str, path: str, body: bytes) -> str:
    """The lowercase hex HMAC-SHA1 signature of a request (what a client computes)."""
    message = string_to_sign(client_code, timestamp, path, body)
    return hmac.new(sign_key.encode(), message, hashlib.sha1).hexdigest()


def signature_matches(
    sign_keys: list[str], presented: str, client_code: str, timestamp: str, path: str, body: bytes
) -> bool:
    """Whether any of `sign_keys` gives `presented`; every key is compared, each in constant time."""
    wanted = presented.lower().encode()
    matched = False
    for key in sign_keys:
        matched |= hmac.compare_digest(sign(key, client_code, timestamp, path, body).encode(), wanted)
    return matched


def timestamp_fresh(timestamp: int, now: float) -> bool:
    """Whether a request signed at `timestamp` (Unix seconds) is inside the ±300 s window at `now`."""
    return abs(now - timestamp) <= WINDOW_SECONDS


def invalid_signature(detail: str = "The signature is not valid for this client_code.") -> ApiError:
    return ApiError(401, "invalid_signature", detail, title="Invalid signature")


@dataclass(frozen=True, slots=True)
class IntegrationCaller:
    """Who a verified signed request speaks for."""

    client_code: str
    partner_id: str
    environment: str


@dataclass
class SignatureVerifier:
    """Verifies the compatibility layer's signed requests for this deployment."""

    app_env: str
    pool: asyncpg.Pool
    kek: bytes
    rate_limiter: RateLimiter
    clock: Callable[[], float] = time.time

    async def verify(self, connection: ASGIConnection[Any, Any, Any, Any], path: str) -> IntegrationCaller:
        """The caller of a correctly signed, fresh, first-seen request; an ApiError (401) for anything else."""
        headers = connection.headers
        client_code = headers.get(CLIENT_CODE_HEADER, "")
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not (client_code and timestamp and signature):
            raise invalid_signature("The client_code, timestamp and signature headers are required.")
        if not _TIMESTAMP.match(timestamp):
            raise invalid_signature("The timestamp header must be Unix time in seconds.")
        if not timestamp_fresh(int(timestamp), self.clock()):
            raise ApiError(
                401,
                "stale_timestamp",
                f"The timestamp is more than {WINDOW_SECONDS} seconds away from the server's time.",
                title="Stale timestamp",
            )
        if not _SIGNATURE.match(signature) or not _CLIENT_CODE.match(client_code):
            raise invalid_signature()
        if not isinstance(connection, Request):  # guards of HTTP routes are given the request itself
            raise invalid_signature()
        body = canonical_body(await connection.body())
        if body is None:
            raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(SELECT_SIGN_KEYS, client_code)
            if row is None or not client_rules.environment_accepted(
                self.app_env, client_rules.Environment(row["environment"])
            ):
                raise invalid_signature()
            keys = self._sign_keys(client_code, row)
            if not signature_matches(keys, signature, client_code, timestamp, path, body):
                raise invalid_signature()
            if row["partner_status"] != "active":
                raise invalid_signature("This client_code's partner is suspended.")
            first_seen = await conn.fetchval(
                RECORD_SIGNATURE, client_code, int(timestamp), signature.lower(), float(SEEN_RETENTION_SECONDS)
            )
        if first_seen is None:
            raise ApiError(
                401,
                "replayed_request",
                "This signed request was already received; sign every request with a new timestamp.",
                title="Replayed request",
            )
        return IntegrationCaller(client_code, row["partner_id"], row["environment"])

    def _sign_keys(self, client_code: str, row: asyncpg.Record) -> list[str]:
        binding = sign_key_binding(client_code)
        sealed = [row["sign_key_encrypted"]]
        if row["previous_sign_key_encrypted"] is not None and row["previous_valid"]:
            sealed.append(row["previous_sign_key_encrypted"])
        keys = []
        for blob in sealed:
            try:
                keys.append(unseal(self.kek, blob, binding).decode())
            except InvalidTag:
                continue  # sealed under another key-encryption key: it cannot match anything
        return keys


async def verify_integration_signature(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Route guard of the compatibility endpoints: verify the signature over the route's `signed_path`, then spend
    one request of the client_code's quota (the same per-client limiter as /v1), and leave the caller on the scope."""
    verifier: SignatureVerifier = connection.app.state.integration_signatures
    caller = await verifier.verify(connection, handler.opt["signed_path"])
    state = connection.scope["state"]
    state[CALLER] = caller
    state["client_id"] = caller.client_code  # the request log line names the caller
    await verifier.rate_limiter.admit(connection.scope, caller.client_code)


def integration_caller(connection: Any) -> IntegrationCaller:
    """The verified caller of a compatibility route (set by the guard)."""
    caller = connection.scope["state"].get(CALLER)
    if not isinstance(caller, IntegrationCaller):
        raise invalid_signature("The client_code, timestamp and signature headers are required.")
    return caller


async def delete_expired_signatures(conn: asyncpg.Connection, *, limit: int) -> int:
    """Forget at most `limit` seen signatures whose timestamp has left the window (a replay is refused as stale)."""
    status = await conn.execute(DELETE_EXPIRED_SIGNATURES, limit)
    return int(status.split()[-1])
