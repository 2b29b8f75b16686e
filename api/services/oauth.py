"""Token issuance, introspection and revocation, with per-client throttling of failed authentication."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Error

from api.auth import credentials
from api.auth.access import Principal, TokenVerifier
from api.auth.client_secrets import SecretHasher
from api.auth.oauth_server import (
    MAX_CLIENT_ID_LENGTH,
    SECRET_METHODS,
    PresentedCredentials,
    ReadyClient,
    TokenServer,
    oauth_request,
)
from api.auth.signing_keys import SigningKeyRing
from api.auth.staff_tokens import TOKEN_EXCHANGE
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.schemas.oauth import TokenIntrospection
from api.services import audit
from api.services.audit import Actor
from api.settings import Settings
from domain import clients as rules

# Failed authentications per (presented client id, caller address) in fixed windows, shared by every process. An
# attempt reserves its place before any hashing, in one atomic statement, so k concurrent guesses get at most
# `auth_failure_limit` evaluations; a success gives its place back. A flood from one address throttles that
# address only: the partner's own servers, elsewhere, keep getting tokens.
RESERVE_ATTEMPT = """
INSERT INTO client_auth_failures AS f (client_id, address, window_started_at, failures) VALUES ($1, $2, now(), 1)
ON CONFLICT (client_id, address) DO UPDATE SET
    failures = CASE WHEN f.window_started_at <= now() - $3::interval THEN 1 ELSE f.failures + 1 END,
    window_started_at = CASE WHEN f.window_started_at <= now() - $3::interval THEN now() ELSE f.window_started_at END
RETURNING failures, window_started_at, extract(epoch FROM f.window_started_at + $3::interval - now()) AS reopens_in
"""
RELEASE_ATTEMPT = """
UPDATE client_auth_failures SET failures = failures - 1
 WHERE client_id = $1 AND address = $2 AND window_started_at = $3 AND failures > 0
"""
# One answer whether the id is unknown or the secret wrong: the token endpoint does not reveal which ids exist.
AUTHENTICATION_FAILED = "client authentication failed: unknown client or wrong secret"
GRANT_TYPES = ("client_credentials", TOKEN_EXCHANGE)
SUPPORTED_GRANTS = f"this server supports {GRANT_TYPES[0]} and {GRANT_TYPES[1]}"
# In words, for a refusal Authlib leaves without a description (RFC 6749 section 5.2's meanings).
DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter or includes an unsupported parameter value.",
    "invalid_client": AUTHENTICATION_FAILED,
    "invalid_grant": "The grant presented is invalid, expired or was issued to another client.",
    "unauthorized_client": "This client may not use this grant type.",
    "invalid_scope": "The requested scope is invalid, unknown or malformed.",
}
INSERT_ASSERTION_JTI = """
INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3))
ON CONFLICT DO NOTHING RETURNING 1
"""
INSERT_REVOKED_TOKEN = """
INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    """An RFC 6749 answer: status, JSON body and headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def describe(error: str, form: dict[str, str]) -> str:
    """What an OAuth error means for this request, in words (an error never answers with its code alone)."""
    if error == "unsupported_grant_type":
        grant = form.get("grant_type", "")
        if not grant:
            return f"grant_type is required; {SUPPORTED_GRANTS}."
        # RFC 6749 section 5.2 restricts the characters of a description: an odd value is not repeated.
        repeatable = len(grant) <= 100 and not invalid_error_characters(grant)
        named = f"grant_type {grant}" if repeatable else "This grant_type"
        return f"{named} is not supported; {SUPPORTED_GRANTS}."
    return DESCRIPTIONS.get(error, f"The request was refused ({error}).")


def explained(answer: OAuthResponse, form: dict[str, str]) -> OAuthResponse:
    """`answer`, with a description in words when it is a refusal that has none (Authlib leaves some out)."""
    if answer.status < 400 or answer.body.get("error_description"):
        return answer
    description = describe(str(answer.body.get("error", "invalid_request")), form)
    return OAuthResponse(answer.status, {**answer.body, "error_description": description}, answer.headers)


def _oauth_error(error: OAuth2Error, form: dict[str, str] | None = None) -> OAuthResponse:
    status = 401 if error.error == "invalid_client" else (error.status_code or 400)
    description = error.description or error.get_error_description() or describe(error.error, form or {})
    body = {"error": error.error, "error_description": description}
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return OAuthResponse(status, body, headers)


@dataclass
class ClientAuthenticator:
    """Authenticates the calling client of /oauth/token, /oauth/introspect and /oauth/revoke."""

    settings: Settings
    hasher: SecretHasher
    keys: SigningKeyRing

    throttle_pool: asyncpg.Pool | None = None  # set at start-up: reservations commit on their own at once

    async def reserve_attempt(self, client_id: str, address: str) -> tuple[datetime, int]:
        """Count this attempt before any work; 429 `rate_limited` when the (client id, address) pair failed too
        often in the current window. Returns the window the attempt was counted in and its count there."""
        window = timedelta(seconds=self.settings.auth_failure_window_seconds)
        assert self.throttle_pool is not None
        async with self.throttle_pool.acquire() as conn:
            row = await conn.fetchrow(RESERVE_ATTEMPT, client_id, address, window)
        assert row is not None
        if row["failures"] > self.settings.auth_failure_limit:
            retry_after = max(1, math.ceil(row["reopens_in"]))
            raise ApiError(
                429,
                "rate_limited",
                "Too many failed authentications for this client from this address; try again later.",
                headers={"Retry-After": str(retry_after)},
            )
        window_started_at: datetime = row["window_started_at"]
        return window_started_at, int(row["failures"])

    async def release_attempt(self, client_id: str, address: str, window_started_at: datetime) -> None:
        """The attempt did not fail: it no longer counts."""
        assert self.throttle_pool is not None
        async with self.throttle_pool.acquire() as conn:
            await conn.execute(RELEASE_ATTEMPT, client_id, address, window_started_at)

    async def record_failure(self, conn: Connection, client_id: str, request_id: str, failures: int) -> None:
        """Audit a failed authentication of an existing client (the attempt itself stays counted)."""
        if await conn.fetchval("SELECT 1 FROM oauth_clients WHERE client_id = $1", client_id):
            await audit.record(
                conn,
                Actor("public", None, None, request_id),
                "client.authentication_failed",
                "client",
                client_id,
                after={"failures_in_window": failures},
            )

    async def ready_client(
        self, conn: Connection, presented: PresentedCredentials, now: datetime
    ) -> ReadyClient | None:
        """Load the presented client and check a presented secret (current, or previous within its grace)."""
        assert presented.client_id is not None
        found = await credentials.credentials(conn, presented.client_id)
        verified = False
        if presented.secret is not None:
            verified = await self.hasher.matches(found.secret_hash if found else None, presented.secret)
            if not verified and found is not None and found.previous_secret_hash and found.previous_secret_valid(now):
                verified = await self.hasher.matches(found.previous_secret_hash, presented.secret)
        if found is None:
            return None
        return ReadyClient(credentials=found, presented_secret=presented.secret, secret_verified=verified)

    async def authenticate(
        self,
        conn: Connection,
        presented: PresentedCredentials,
        url: str,
        form: dict[str, str],
        headers: dict[str, str],
        request_id: str,
        address: str,
        *,
        issue_token: bool,
    ) -> tuple[TokenServer, ReadyClient | None, OAuthResponse | None]:
        """Run Authlib for this request; returns the server, the authenticated client, and Authlib's answer."""
        now = datetime.now(UTC)
        if presented.conflict is not None:
            # Refused before any client is looked at: no failed authentication of either client is counted.
            return _server(self, None), None, _oauth_error(InvalidRequestError(description=presented.conflict))
        client_id = presented.client_id
        if client_id is None or len(client_id) > MAX_CLIENT_ID_LENGTH:
            return _server(self, None), None, _oauth_error(InvalidClientError(description=AUTHENTICATION_FAILED))
        window, attempts = await self.reserve_attempt(client_id, address)
        server, ready, answer = await self._authenticate(
            conn, presented, url, form, headers, request_id, now, attempts, issue_token=issue_token
        )
        if answer is None or answer.body.get("error") != "invalid_client":
            await self.release_attempt(client_id, address, window)
        return server, ready, answer

    async def _authenticate(
        self,
        conn: Connection,
        presented: PresentedCredentials,
        url: str,
        form: dict[str, str],
        headers: dict[str, str],
        request_id: str,
        now: datetime,
        attempts: int,
        *,
        issue_token: bool,
    ) -> tuple[TokenServer, ReadyClient | None, OAuthResponse | None]:
        client_id = presented.client_id
        assert client_id is not None
        await self.keys.refresh_on(conn)  # sign with the key that is active now (a rotation reaches us in time)
        ready = await self.ready_client(conn, presented, now)
        server = _server(self, ready)
        request = oauth_request(url, form, headers)
        try:
            if issue_token:
                status, body, response_headers = server.create_token_response(request)
                answer = explained(OAuthResponse(status, body, dict(response_headers)), form)
            else:
                methods = [*SECRET_METHODS, "private_key_jwt"]
                server.authenticate_client(request, methods, endpoint="introspection")
                answer = OAuthResponse(200, {}, {})
        except OAuth2Error as error:
            answer = _oauth_error(error, form)
        if answer.status == 401 or answer.body.get("error") == "invalid_client":
            answer = _oauth_error(InvalidClientError(description=AUTHENTICATION_FAILED))
            await self.record_failure(conn, client_id, request_id, attempts)
            return server, None, answer
        if ready is not None and ready.assertion_jti is not None:
            first_use = await conn.fetchval(
                INSERT_ASSERTION_JTI, ready.credentials.client_id, ready.assertion_jti, ready.assertion_expires_at
            )
            if first_use is None:
                await self.record_failure(conn, client_id, request_id, attempts)
                return server, None, _oauth_error(InvalidClientError(description="The assertion was already used."))
        refusal = _refusal(self.settings, ready) if answer.status < 400 or not issue_token else None
        if refusal is not None:
            return server, None, _oauth_error(InvalidClientError(description=refusal))
        return server, ready, answer


def _server(authenticator: ClientAuthenticator, ready: ReadyClient | None) -> TokenServer:
    return TokenServer(settings=authenticator.settings, keys=authenticator.keys, client=ready)


def _refusal(settings: Settings, ready: ReadyClient | None) -> str | None:
    """Why an authenticated client still gets nothing: disabled, suspended partner, wrong environment."""
    if ready is None:
        return AUTHENTICATION_FAILED
    facts = ready.credentials
    if facts.status != rules.ClientStatus.ACTIVE:
        return "This client is disabled."
    if facts.partner_id is not None and facts.partner_status != "active":
        return "This client's partner is suspended."
    if not rules.environment_accepted(settings.app_env, facts.environment):
        return f"This deployment does not serve {facts.environment} clients."
    return None


async def introspect(verifier: TokenVerifier, caller: ReadyClient, token: str | None) -> TokenIntrospection:
    """RFC 7662: `active` and the claims, only for the caller's own valid tokens."""
    if not token:
        return TokenIntrospection(active=False)
    try:
        principal = await verifier.verify(token)
    except ApiError:
        return TokenIntrospection(active=False)
    if principal.client_id != caller.get_client_id():
        return TokenIntrospection(active=False)
    return _introspection(verifier.settings, principal)


def _introspection(settings: Settings, principal: Principal) -> TokenIntrospection:
    return TokenIntrospection(
        active=True,
        scope=" ".join(sorted(principal.scopes)),
        client_id=principal.client_id,
        sub=principal.client_id,
        token_type="Bearer",  # noqa: S106 (the token type, not a secret)
        iat=principal.issued_at,
        exp=principal.expires_at,
        iss=settings.issuer,
        aud=settings.token_audience,
        jti=principal.token_id,
        environment=principal.environment,
        partner_id=principal.partner_id,  # None (left out) for a programme token
    )


async def revoke(conn: Connection, verifier: TokenVerifier, caller: ReadyClient, token: str | None) -> None:
    """RFC 7009: a valid token of the caller's stops working; anything else is silently ignored."""
    if not token:
        return
    try:
        principal = await verifier.verify(token)
    except ApiError:
        return
    if principal.client_id != caller.get_client_id():
        return
    await conn.execute(INSERT_REVOKED_TOKEN, principal.token_id, principal.client_id, principal.expires_at)
    verifier.revocations.revoked_tokens.add(principal.token_id)


# Rows of the token endpoint that can no longer matter, forgotten by the worker in batches: a failure window that
# is over (a new attempt starts a new one; kept an hour for whoever investigates), an assertion jti past its `exp`
# (a replay is refused on `exp` by then), a revoked token past its `exp` (it is refused as expired). The margin
# outlasts every clock leeway.
STALE_ROWS = {
    "client_auth_failures": (
        "client_id, address",
        "window_started_at < now() - interval '1 hour' - make_interval(secs => $2)",
    ),
    "client_assertion_jtis": ("client_id, jti", "expires_at < now() - interval '5 minutes'"),
    "revoked_tokens": ("jti", "expires_at < now() - interval '5 minutes'"),
}


async def delete_stale_rows(conn: Connection, table: str, *, limit: int, failure_window_seconds: int) -> int:
    """Forget at most `limit` rows of `table` (one of STALE_ROWS) that no request can need any more."""
    key, stale = STALE_ROWS[table]
    statement = f"""
    DELETE FROM {table} WHERE ({key}) IN (
        SELECT {key} FROM {table} WHERE {stale} LIMIT $1 FOR UPDATE SKIP LOCKED
    )"""  # table, key and condition come from STALE_ROWS, never from input
    arguments: tuple[object, ...] = (limit, float(failure_window_seconds)) if "$2" in stale else (limit,)
    status = await conn.execute(statement, *arguments)
    return int(status.split()[-1])
