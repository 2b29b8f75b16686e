"""Token issuance, introspection and revocation, with per-client throttling of failed authentication."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError, OAuth2Error

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
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.services import audit
from api.services.audit import Actor
from api.settings import Settings
from domain import clients as rules

SELECT_FAILURES = "SELECT failures, window_started_at FROM client_auth_failures WHERE client_id = $1"
RECORD_FAILURE = """
INSERT INTO client_auth_failures AS f (client_id, window_started_at, failures) VALUES ($1, $2, 1)
ON CONFLICT (client_id) DO UPDATE SET
    failures = CASE WHEN f.window_started_at <= $2 - $3::interval THEN 1 ELSE f.failures + 1 END,
    window_started_at = CASE WHEN f.window_started_at <= $2 - $3::interval THEN $2 ELSE f.window_started_at END
RETURNING failures
"""
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


def _oauth_error(error: OAuth2Error) -> OAuthResponse:
    status = 401 if error.error == "invalid_client" else (error.status_code or 400)
    body = {"error": error.error, "error_description": error.description or error.error.replace("_", " ")}
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

    async def throttled_for(self, conn: Connection, client_id: str, now: datetime) -> int | None:
        """Seconds until `client_id` may try again, when it failed too often in the current window."""
        row = await conn.fetchrow(SELECT_FAILURES, client_id)
        window = timedelta(seconds=self.settings.auth_failure_window_seconds)
        if row is None or row["failures"] < self.settings.auth_failure_limit:
            return None
        reopens = row["window_started_at"] + window
        return math.ceil((reopens - now).total_seconds()) if reopens > now else None

    async def record_failure(self, conn: Connection, client_id: str, now: datetime, request_id: str) -> None:
        interval = timedelta(seconds=self.settings.auth_failure_window_seconds)
        failures = await conn.fetchval(RECORD_FAILURE, client_id, now, interval)
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
        *,
        issue_token: bool,
    ) -> tuple[TokenServer, ReadyClient | None, OAuthResponse | None]:
        """Run Authlib for this request; returns the server, the authenticated client, and Authlib's answer."""
        now = datetime.now(UTC)
        client_id = presented.client_id
        if client_id is None or len(client_id) > MAX_CLIENT_ID_LENGTH:
            return (
                _server(self, None),
                None,
                _oauth_error(InvalidClientError(description="Client authentication failed.")),
            )
        retry_after = await self.throttled_for(conn, client_id, now)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                "Too many failed authentications for this client; try again later.",
                headers={"Retry-After": str(retry_after)},
            )
        if self.keys.active is None:
            await self.keys.ensure_loaded(conn)
        ready = await self.ready_client(conn, presented, now)
        server = _server(self, ready)
        request = oauth_request(url, form, headers)
        try:
            if issue_token:
                status, body, response_headers = server.create_token_response(request)
                answer = OAuthResponse(status, body, dict(response_headers))
            else:
                methods = [*SECRET_METHODS, "private_key_jwt"]
                server.authenticate_client(request, methods, endpoint="introspection")
                answer = OAuthResponse(200, {}, {})
        except OAuth2Error as error:
            answer = _oauth_error(error)
        if answer.status == 401 or answer.body.get("error") == "invalid_client":
            answer = _oauth_error(InvalidClientError(description=answer.body.get("error_description")))
            await self.record_failure(conn, client_id, now, request_id)
            return server, None, answer
        if ready is not None and ready.assertion_jti is not None:
            first_use = await conn.fetchval(
                INSERT_ASSERTION_JTI, ready.credentials.client_id, ready.assertion_jti, ready.assertion_expires_at
            )
            if first_use is None:
                await self.record_failure(conn, client_id, now, request_id)
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
        return "Client authentication failed."
    facts = ready.credentials
    if facts.status != rules.ClientStatus.ACTIVE:
        return "This client is disabled."
    if facts.partner_id is not None and facts.partner_status != "active":
        return "This client's partner is suspended."
    if not rules.environment_accepted(settings.app_env, facts.environment):
        return f"This deployment does not serve {facts.environment} clients."
    return None


async def introspect(verifier: TokenVerifier, caller: ReadyClient, token: str | None) -> dict[str, Any]:
    """RFC 7662: `active` and the claims, only for the caller's own valid tokens."""
    if not token:
        return {"active": False}
    try:
        principal = await verifier.verify(token)
    except ApiError:
        return {"active": False}
    if principal.client_id != caller.get_client_id():
        return {"active": False}
    return _introspection(verifier.settings, principal)


def _introspection(settings: Settings, principal: Principal) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "active": True,
        "scope": " ".join(sorted(principal.scopes)),
        "client_id": principal.client_id,
        "sub": principal.client_id,
        "token_type": "Bearer",
        "iat": principal.issued_at,
        "exp": principal.expires_at,
        "iss": settings.issuer,
        "aud": settings.token_audience,
        "jti": principal.token_id,
        "environment": principal.environment,
    }
    if principal.partner_id is not None:
        answer["partner_id"] = principal.partner_id
    return answer


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
