"""OAuth 2.0 endpoints: token (client credentials), introspection, revocation, metadata and the JWKS."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from msgspec import UNSET, UnsetType

from api.auth.access import TokenVerifier, request_id
from api.auth.oauth_server import PRIVATE_KEY_JWT, SECRET_METHODS, presented_credentials
from api.auth.rate_limits import ADDRESS_POLICY_OPT, ADDRESS_TOKEN_POLICY, RateLimiter
from api.auth.staff_tokens import TOKEN_EXCHANGE
from api.http.client_address import client_address
from api.http.dependencies import Connection
from api.http.errors import PROBLEM_MEDIA_TYPE
from api.http.openapi import OAUTH
from api.schemas.common import described
from api.schemas.oauth import (
    AccessTokenResponse,
    AuthorizationServerMetadata,
    JsonWebKeySet,
    TokenIntrospection,
    TokenRevocation,
)
from api.services import oauth, staff
from api.services.oauth import ClientAuthenticator, OAuthResponse
from api.settings import Settings
from domain.clients import ALL_SCOPES

TAGS = [OAUTH]
# These three check a client secret with Argon2: a caller address gets the stricter per-address quota.
ARGON2_GUARDED = {ADDRESS_POLICY_OPT: ADDRESS_TOKEN_POLICY}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CLIENT_ID = described("Your client id, unless you authenticate with HTTP Basic or a `client_assertion`.")
CLIENT_SECRET = described("Your client secret (`client_secret_post`); prefer HTTP Basic.")
CLIENT_ASSERTION_TYPE = described("`private_key_jwt` only: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.")
CLIENT_ASSERTION = described("`private_key_jwt` only: a JWT signed with your key, `aud` the token endpoint URL.")


def _one_of(*values: str) -> msgspec.Meta:
    """The values a form field takes, stated in the spec. The decoder still lets any text through: Authlib answers
    an unknown value with the RFC 6749 error for it (`unsupported_grant_type`, `invalid_request`), not a 422."""
    return msgspec.Meta(extra_json_schema={"extra": {"enum": list(values)}})


# RFC 6749 §3.3: scope tokens of NQCHAR, one space apart. Malformed is a 422; a well-formed scope the client does not
# hold is Authlib's 400 `invalid_scope`.
_SCOPE_WORD = r"[\x21\x23-\x5b\x5d-\x7e]+"
Scope = Annotated[str, msgspec.Meta(pattern=f"^{_SCOPE_WORD}( {_SCOPE_WORD})*$")]


class TokenForm(msgspec.Struct, kw_only=True):
    """`application/x-www-form-urlencoded` token request (RFC 6749 §4.4, RFC 7523 §2.2). A field left out is
    UNSET, never passed on to Authlib (so nothing sends the text `null`); a request without `grant_type` is a 422."""

    grant_type: Annotated[
        str,
        described("`client_credentials`; the staff portal uses `urn:ietf:params:oauth:grant-type:token-exchange`."),
        _one_of(*oauth.GRANT_TYPES),
    ]
    scope: (
        Annotated[Scope, described("Space-separated scopes wanted; absent: all the client's scopes.")] | UnsetType
    ) = UNSET
    client_id: Annotated[str, CLIENT_ID] | UnsetType = UNSET
    client_secret: Annotated[str, CLIENT_SECRET] | UnsetType = UNSET
    client_assertion_type: Annotated[str, CLIENT_ASSERTION_TYPE] | UnsetType = UNSET
    client_assertion: Annotated[str, CLIENT_ASSERTION] | UnsetType = UNSET
    # RFC 8693 token exchange (the portal acting for a staff member: api/services/staff.py).
    subject_token: Annotated[str, described("Token exchange only: the staff session token.")] | UnsetType = UNSET
    subject_token_type: (
        Annotated[str, described("Token exchange only: `urn:prakerja:params:oauth:token-type:staff-session`.")]
        | UnsetType
    ) = UNSET
    requested_token_type: (
        Annotated[str, described("Token exchange only: `urn:ietf:params:oauth:token-type:access_token` if given.")]
        | UnsetType
    ) = UNSET


class TokenArgumentForm(msgspec.Struct, kw_only=True):
    """Introspection (RFC 7662) and revocation (RFC 7009) request; both RFCs require `token` (without it, a 422)."""

    token: Annotated[str, described("The access token to introspect or revoke."), msgspec.Meta(min_length=1)]
    token_type_hint: (
        Annotated[str, described("`access_token` (the only kind issued); optional, any other hint is ignored.")]
        | UnsetType
    ) = UNSET
    client_id: Annotated[str, CLIENT_ID] | UnsetType = UNSET
    client_secret: Annotated[str, CLIENT_SECRET] | UnsetType = UNSET
    client_assertion_type: Annotated[str, CLIENT_ASSERTION_TYPE] | UnsetType = UNSET
    client_assertion: Annotated[str, CLIENT_ASSERTION] | UnsetType = UNSET


def _form(data: msgspec.Struct) -> dict[str, str]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if isinstance(v, str)}


def _headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization := request.headers.get("authorization"):
        headers["Authorization"] = authorization
    return headers


def _respond(answer: OAuthResponse) -> Response[Any]:
    headers = {**NO_STORE, **{k: v for k, v in answer.headers.items() if k.lower() != "content-type"}}
    if answer.status < 400:
        return Response(content=answer.body, status_code=answer.status, headers=headers)
    error = str(answer.body.get("error", "invalid_request"))
    description = str(answer.body.get("error_description") or oauth.describe(error, {}))
    problem = {
        "type": f"urn:prakerja:problem:{error}",
        "title": error.replace("_", " ").capitalize(),
        "status": answer.status,
        "code": error,
        "detail": description,
        "error": error,
        "error_description": description,
    }
    return Response(content=problem, status_code=answer.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


@post(
    "/oauth/token",
    operation_id="issueToken",
    tags=TAGS,
    summary="Get an access token (client credentials)",
    status_code=200,
    response_headers=None,
    responses=None,
    opt=ARGON2_GUARDED,
)
async def token(
    request: Request[Any, Any, Any],
    data: Annotated[TokenForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    tx: Connection,
    authenticator: ClientAuthenticator,
    token_rate_limiter: RateLimiter,
) -> Response[AccessTokenResponse]:
    """Exchange client credentials for an RFC 9068 JWT access token (at most 900 s, never a refresh token).

    Authenticate with `client_secret_basic` (HTTP Basic), `client_secret_post` (form fields) or
    `private_key_jwt` (an RFC 7523 assertion signed with a key registered on the client), exactly one of them
    (several in one request are 400 `invalid_request`, RFC 6749 §2.3). The body is a form,
    `application/x-www-form-urlencoded` (anything else, JSON included, is 415). `scope` is an
    optional space-separated subset of the client's scopes; without it the token carries all of them.
    Errors follow RFC 6749 (`error`, `error_description`) inside a problem+json body. Tokens per client and
    token requests per caller address are limited per minute (`RateLimit` headers tell how many are left), and
    repeated failed authentication for one client id from one address is throttled: all are answered 429
    `rate_limited` with `Retry-After`. An unknown client id and a wrong secret get the same 401 answer.
    """
    form = _form(data)
    presented = presented_credentials(form, request.headers.get("authorization"))
    address = client_address(request.scope, authenticator.settings)
    if data.grant_type == TOKEN_EXCHANGE:
        url, headers = str(request.url), _headers(request)
        exchanged = await staff.exchange(tx, authenticator, presented, url, form, headers, request_id(request), address)
        return _respond(exchanged)
    _, authenticated, answer = await authenticator.authenticate(
        tx, presented, str(request.url), form, _headers(request), request_id(request), address, issue_token=True
    )
    if authenticated is not None:
        # Spent only by the client itself: strangers presenting its id cannot use up its quota (they are limited
        # per address, before any hashing, by the guard).
        await token_rate_limiter.admit(request.scope, authenticated.get_client_id())
    assert answer is not None
    return _respond(answer)


async def _caller(
    request: Request[Any, Any, Any], data: TokenArgumentForm, tx: Connection, authenticator: ClientAuthenticator
) -> tuple[Any, Response[Any] | None]:
    form = _form(data)
    presented = presented_credentials(form, request.headers.get("authorization"))
    address = client_address(request.scope, authenticator.settings)
    _, caller, answer = await authenticator.authenticate(
        tx, presented, str(request.url), form, _headers(request), request_id(request), address, issue_token=False
    )
    if caller is None:
        assert answer is not None
        return None, _respond(answer)
    return caller, None


@post(
    "/oauth/introspect",
    operation_id="introspectToken",
    tags=TAGS,
    summary="Introspect a token",
    status_code=200,
    opt=ARGON2_GUARDED,
)
async def introspect(
    request: Request[Any, Any, Any],
    data: Annotated[TokenArgumentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    tx: Connection,
    authenticator: ClientAuthenticator,
    verifier: TokenVerifier,
) -> Response[TokenIntrospection]:
    """RFC 7662. The caller authenticates as a client (one method, as at the token endpoint; a form body) and
    learns about its own tokens only: any other token, or an invalid, expired or revoked one, is `{"active": false}`.
    """
    caller, refusal = await _caller(request, data, tx, authenticator)
    if refusal is not None:
        return refusal
    return Response(content=await oauth.introspect(verifier, caller, data.token), headers=NO_STORE)


@post(
    "/oauth/revoke",
    operation_id="revokeToken",
    tags=TAGS,
    summary="Revoke a token",
    status_code=200,
    opt=ARGON2_GUARDED,
)
async def revoke(
    request: Request[Any, Any, Any],
    data: Annotated[TokenArgumentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    tx: Connection,
    authenticator: ClientAuthenticator,
    verifier: TokenVerifier,
) -> Response[TokenRevocation]:
    """RFC 7009. Always 200 for an authenticated caller (one method, as at the token endpoint; a form body); its own
    valid token stops working at once here and within seconds on every other API process."""
    caller, refusal = await _caller(request, data, tx, authenticator)
    if refusal is not None:
        return refusal
    await oauth.revoke(tx, verifier, caller, data.token)
    return Response(content=TokenRevocation(), headers=NO_STORE)


@get(
    "/.well-known/oauth-authorization-server",
    operation_id="getAuthorizationServerMetadata",
    tags=TAGS,
    summary="Authorization server metadata (RFC 8414)",
)
async def metadata(settings: Settings) -> AuthorizationServerMetadata:
    """Where the token, introspection, revocation and key endpoints are, and what they support."""
    issuer = settings.issuer
    methods = [*SECRET_METHODS, PRIVATE_KEY_JWT]
    return AuthorizationServerMetadata(
        issuer=issuer,
        token_endpoint=f"{issuer}/oauth/token",
        introspection_endpoint=f"{issuer}/oauth/introspect",
        revocation_endpoint=f"{issuer}/oauth/revoke",
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        grant_types_supported=list(oauth.GRANT_TYPES),
        response_types_supported=[],
        scopes_supported=list(ALL_SCOPES),
        token_endpoint_auth_methods_supported=methods,
        token_endpoint_auth_signing_alg_values_supported=["ES256", "RS256", "PS256", "EdDSA"],
        introspection_endpoint_auth_methods_supported=methods,
        revocation_endpoint_auth_methods_supported=methods,
    )


@get("/.well-known/jwks.json", operation_id="getJwks", tags=TAGS, summary="Public signing keys")
async def jwks(state: State) -> Response[JsonWebKeySet]:
    """The public keys (with `kid`) that verify access tokens and signed certificates. A retired key stays listed
    while tokens it signed may still be alive, and for as long as certificates signed with it exist."""
    ring = state.signing_keys
    await ring.refresh_if_stale(state.pool.acquire)
    return Response(content=ring.jwks(), headers={"Cache-Control": "public, max-age=300"})
