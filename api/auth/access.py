"""Resource protection: verify RFC 9068 access tokens locally, enforce per-route scopes, know who is calling.

Routes declare their scopes with `**requires("courses:read")`; one app-level guard verifies the bearer token
(signature with a cached public key, no database round trip), checks the claims, the per-process revocation
list (refreshed every few seconds from PostgreSQL), the client's request quota (api/auth/rate_limits.py: spent in
memory, leased from PostgreSQL in chunks) and the scopes, then leaves a `Principal` on the request.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from joserfc import jwt
from joserfc.errors import JoseError
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

from api.auth.rate_limits import ADDRESS_POLICY_OPT, PUBLIC_POLICY, RateLimiter
from api.auth.signing_keys import ALGORITHM, CLOCK_LEEWAY_SECONDS, SigningKeyRing, VerificationKey
from api.auth.single_flight import SingleFlight
from api.http.client_address import client_address
from api.http.errors import ApiError
from api.http.request_context import first_header, request_id_of
from api.settings import Settings
from domain.errors import DomainError

MAX_TOKEN_BYTES = 4096
AUTHORIZATION = b"authorization"
PROGRAMME_PREFIX = "programme:"
STAFF_ID_PREFIX = "stf"
VERIFIED_TOKEN_CACHE_SIZE = 10_000
ALLOWED_HEADER_FIELDS = frozenset({"alg", "typ", "kid"})
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
REQUIRED_CLAIMS = ("iss", "aud", "sub", "client_id", "iat", "exp", "jti", "scope", "environment")
# A client disabled or partner suspended longer ago than this holds no live token (tokens live ≤ 15 min).
RECENT_REVOCATION_WINDOW = "20 minutes"

SELECT_REVOCATIONS = f"""
SELECT 'client' AS kind, client_id AS id FROM oauth_clients
 WHERE status = 'disabled' AND updated_at > now() - interval '{RECENT_REVOCATION_WINDOW}'
UNION ALL
SELECT 'partner', id FROM partners
 WHERE status = 'suspended' AND updated_at > now() - interval '{RECENT_REVOCATION_WINDOW}'
UNION ALL
SELECT 'token', jti FROM revoked_tokens WHERE expires_at > now()
"""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified access token speaks for."""

    client_id: str
    partner_id: str | None
    environment: str
    scopes: frozenset[str]
    token_id: str
    issued_at: int
    expires_at: int
    # Set when the token acts for a programme staff member (RFC 8693 `act`: the client acts, the person is `sub`).
    staff_id: str | None = None

    @property
    def is_programme(self) -> bool:
        return self.partner_id is None

    def require_partner(self) -> str:
        """The partner this token is bound to (programme tokens have none: such a route does not exist for them)."""
        if self.partner_id is None:
            raise ApiError(404, "not_found", "No such resource.")
        return self.partner_id


@dataclass
class RevocationList:
    """Recently disabled clients, suspended partners and revoked tokens, as this process last read them."""

    ttl_seconds: float
    disabled_clients: set[str] = field(default_factory=set)
    suspended_partners: set[str] = field(default_factory=set)
    revoked_tokens: set[str] = field(default_factory=set)
    loaded_at: float = float("-inf")
    _refresh: SingleFlight = field(default_factory=SingleFlight)

    @property
    def stale(self) -> bool:
        return time.monotonic() - self.loaded_at >= self.ttl_seconds

    async def refresh_if_stale(self, pool: asyncpg.Pool) -> None:
        if self.stale:
            await self._refresh.run(lambda: self._load(pool))

    async def _load(self, pool: asyncpg.Pool) -> None:
        rows = await pool.fetch(SELECT_REVOCATIONS)
        self.disabled_clients = {r["id"] for r in rows if r["kind"] == "client"}
        self.suspended_partners = {r["id"] for r in rows if r["kind"] == "partner"}
        self.revoked_tokens = {r["id"] for r in rows if r["kind"] == "token"}
        self.loaded_at = time.monotonic()

    def client_disabled(self, client_id: str) -> None:
        """Take effect in this process now; other processes see it at their next refresh."""
        self.disabled_clients.add(client_id)

    def partner_suspended(self, partner_id: str) -> None:
        self.suspended_partners.add(partner_id)

    def partner_reinstated(self, partner_id: str) -> None:
        self.suspended_partners.discard(partner_id)

    def revokes(self, principal: Principal) -> bool:
        return (
            principal.client_id in self.disabled_clients
            or principal.token_id in self.revoked_tokens
            or (principal.partner_id is not None and principal.partner_id in self.suspended_partners)
        )


def invalid_token(detail: str) -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        detail,
        title="Invalid token",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'},
    )


def _b64_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


@dataclass
class TokenVerifier:
    """Verifies our access tokens; shared by the resource guard and token introspection.

    A partner reuses one token for up to 15 minutes, so each process remembers the tokens whose signature
    and claims it already checked (bounded, evicted oldest first). A remembered token is still checked for
    expiry and against the revocation list on every request.
    """

    settings: Settings
    keys: SigningKeyRing
    revocations: RevocationList
    pool: asyncpg.Pool
    verified: OrderedDict[str, tuple[Principal, str]] = field(default_factory=OrderedDict)  # token → (who, kid)

    async def verify(self, token: str) -> Principal:
        """The principal of a valid, unrevoked access token; `invalid_token` (401) for anything else.

        Every request with a token runs this, so the common case (a remembered token, fresh caches) awaits nothing.
        """
        keys = self.keys
        if keys.stale:  # a rotation or retirement reaches us within its interval
            await keys.refresh_if_stale(self.pool.acquire)
        remembered = self.verified.get(token)
        if remembered is None:
            principal, kid = await self._verify_signature_and_claims(token)
            self.verified[token] = (principal, kid)
            if len(self.verified) > VERIFIED_TOKEN_CACHE_SIZE:
                self.verified.popitem(last=False)
        else:
            # Signature, claims, lifetime and issue time were checked when it was first seen; what can change since
            # is the clock (expiry) and the key ring (the key gone, or retired before this token was issued).
            principal, kid = remembered
            key = keys.public_keys.get(kid)
            if principal.expires_at + CLOCK_LEEWAY_SECONDS < time.time() or key is None:
                self.verified.pop(token, None)  # expired, or its key has since left the ring
                raise invalid_token("The access token is invalid or expired.")
            if key.retired_at is not None:
                self._check_lifetime(principal, key)
        revocations = self.revocations
        if revocations.stale:
            await revocations.refresh_if_stale(self.pool)
        if revocations.revokes(principal):
            raise invalid_token("The access token has been revoked.")
        return principal

    async def _verify_signature_and_claims(self, token: str) -> tuple[Principal, str]:
        if not token or len(token) > MAX_TOKEN_BYTES:
            raise invalid_token("The access token is malformed.")
        segments = token.split(".")
        if len(segments) != 3:
            raise invalid_token("The access token is malformed.")
        try:
            header = _b64_json(segments[0])
        except (ValueError, UnicodeError, binascii.Error):
            raise invalid_token("The access token is malformed.") from None
        if not isinstance(header, dict) or set(header) - ALLOWED_HEADER_FIELDS:
            raise invalid_token("The access token header is not acceptable.")
        if header.get("alg") != ALGORITHM or header.get("typ") not in ACCESS_TOKEN_TYPES:
            raise invalid_token("The access token is not an ES256 at+jwt.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise invalid_token("The access token names no key.")
        key = await self.keys.public_key(kid, self.pool.acquire)
        if key is None:
            raise invalid_token("The access token was signed by an unknown key.")
        try:
            decoded = jwt.decode(token, key.key, algorithms=[ALGORITHM])
            claims = decoded.claims
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.token_audience},
                exp={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError, TypeError):
            raise invalid_token("The access token is invalid or expired.") from None
        principal = _principal_from(claims)
        self._check_lifetime(principal, key)
        return principal, kid

    def _check_lifetime(self, principal: Principal, key: VerificationKey) -> None:
        """No token lives longer than the configured lifetime, none comes from the future, and a retired key
        vouches only for tokens issued before its retirement (a stolen retired key cannot mint new ones)."""
        if principal.expires_at - principal.issued_at > self.settings.token_ttl_seconds:
            raise invalid_token("The access token lives longer than this server issues tokens for.")
        if principal.issued_at > time.time() + CLOCK_LEEWAY_SECONDS:
            raise invalid_token("The access token is invalid or expired.")
        if not key.may_have_signed(principal.issued_at, self.keys.retirement_grace_seconds):
            raise invalid_token("The access token was signed by a retired key after its retirement.")


def _principal_from(claims: dict[str, Any]) -> Principal:
    if any(claims.get(name) in (None, "") for name in REQUIRED_CLAIMS):
        raise invalid_token("The access token lacks required claims.")
    if not isinstance(claims["scope"], str):
        raise invalid_token("The access token's claims are inconsistent.")
    partner_id = claims.get("partner_id")
    if partner_id is not None and not isinstance(partner_id, str):
        raise invalid_token("The access token's claims are inconsistent.")
    if not all(isinstance(claims[name], int) and not isinstance(claims[name], bool) for name in ("iat", "exp")):
        raise invalid_token("The access token's claims are inconsistent.")
    staff_id = _acting_for(claims)
    return Principal(
        client_id=str(claims["client_id"]),
        partner_id=partner_id,
        environment=str(claims["environment"]),
        scopes=frozenset(claims["scope"].split()),
        token_id=str(claims["jti"]),
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
        staff_id=staff_id,
    )


def _acting_for(claims: dict[str, Any]) -> str | None:
    """The staff member a programme client acts for (`sub` ≠ `client_id`, `act.sub` = the client), else None."""
    if claims["sub"] == claims["client_id"] and "act" not in claims:
        return None
    act = claims.get("act")
    subject = str(claims["sub"])
    if (
        not isinstance(act, dict)
        or act.get("sub") != claims["client_id"]
        or claims.get("partner_id") is not None
        or not subject.startswith(STAFF_ID_PREFIX + "_")
    ):
        raise invalid_token("The access token's claims are inconsistent.")
    return subject


def requires(*scopes: str, errors: Sequence[type[DomainError]] = ()) -> dict[str, Any]:
    """Route keyword arguments that protect it with a bearer token holding every one of `scopes`.

    `errors` are the rule violations the route can answer with; they are listed in its OpenAPI responses.
    """
    return {
        "opt": {
            "scopes": tuple(scopes),
            "programme_only": any(scope.startswith(PROGRAMME_PREFIX) for scope in scopes),
            "errors": tuple(errors),
        },
        "security": [{"oauth2": list(scopes)}],
    }


def bearer_token(scope: Scope) -> str:
    """The bearer token of the request's first `Authorization` header."""
    scheme, _, token = (first_header(scope, AUTHORIZATION) or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token("A bearer access token is required.")
    return token.strip()


@dataclass(frozen=True, slots=True)
class Gatekeeper:
    """What the app's guard checks a request with; made when the app starts (`app.state.gatekeeper`)."""

    verifier: TokenVerifier
    rate_limiter: RateLimiter  # the per-client quota of token holders
    address_limiters: dict[str, RateLimiter]  # per-address quotas of public routes, by policy name
    settings: Settings


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard: public routes pass; protected ones need a valid token with the declared scopes.

    Every request with a valid token spends one request of its client's quota (429 `rate_limited` when none is left).
    """
    scope = connection.scope
    gatekeeper: Gatekeeper = scope["app"].state.gatekeeper
    opt = handler.opt
    required: tuple[str, ...] | None = opt.get("scopes")
    if required is None:
        await limit_by_address(scope, opt, gatekeeper)
        return
    principal = await gatekeeper.verifier.verify(bearer_token(scope))
    state = scope["state"]
    state["principal"] = principal
    state["client_id"] = principal.client_id
    _caller.set(principal)
    await gatekeeper.rate_limiter.admit(scope, principal.client_id)
    if principal.partner_id is not None and opt["programme_only"]:
        # The programme's endpoints do not exist for a partner (API.md: never 403 for what is not theirs).
        raise ApiError(404, "not_found", "No such resource.")
    if not principal.scopes.issuperset(required):
        wanted = " ".join(required)
        raise ApiError(
            403,
            "insufficient_scope",
            f"This operation needs the scope(s): {wanted}.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{wanted}"'},
        )


async def limit_by_address(scope: Scope, opt: dict[str, Any], gatekeeper: Gatekeeper) -> None:
    """Public routes spend their caller address's quota (429 `rate_limited` when none is left); a route opts out
    with `opt={"address_policy": None}` (health probes) or picks the stricter token policy."""
    policy: str | None = opt.get(ADDRESS_POLICY_OPT, PUBLIC_POLICY)
    if policy is None:
        return
    limiter = gatekeeper.address_limiters[policy]
    await limiter.admit(scope, client_address(scope, gatekeeper.settings))


# The verified caller, also in the context of the task serving the request (each request is served by a task of its
# own; the guard sets it before any protected handler runs): for a handler that takes no arguments at all, which
# spares it Litestar's parsing of its signature on each request (`GET /v1/me`).
_caller: ContextVar[Principal] = ContextVar("caller")


def current_principal() -> Principal:
    """The verified caller of the protected request being served (what `provide_principal` reads from it)."""
    principal = _caller.get(None)
    if principal is None:
        raise invalid_token("A bearer access token is required.")
    return principal


def provide_principal(request: Any) -> Principal:
    """The verified caller of a protected route."""
    principal = request.scope["state"].get("principal")
    if not isinstance(principal, Principal):
        raise invalid_token("A bearer access token is required.")
    return principal


def provide_partner_id(principal: Principal) -> str:
    """The partner the caller's token is bound to: the `partner_id` dependency of partner routes (404 otherwise)."""
    return principal.require_partner()


def request_id(request: Any) -> str:
    """This request's id (for audit rows)."""
    return request_id_of(request.scope)
