"""Authlib glue for the token endpoint (client credentials only).

Authlib's server core is synchronous, so everything that needs the database or a slow hash happens first,
asynchronously: the client row is loaded, a presented secret is checked with Argon2 in a thread, and Authlib
receives a ready client whose checks are plain comparisons. Authlib then validates the grant, the scope and
(for `private_key_jwt`) the client assertion, and mints the RFC 9068 access token.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwk

from api.auth.credentials import ClientCredentials
from api.auth.signing_keys import ALGORITHM, SigningKeyRing
from api.settings import Settings
from domain import clients as rules

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Authlib's PrivateKeyJWT (and most client libraries) sign assertions valid for one hour; the jti is kept until
# `exp`, so a longer life costs storage, never a replay.
MAX_ASSERTION_LIFETIME_SECONDS = 3600
MAX_CLIENT_ID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class PresentedCredentials:
    """What the caller claims to be, read from the request before anything is verified."""

    client_id: str | None
    secret: str | None
    assertion: str | None
    # Why the request is refused before any client is looked at (more than one authentication method), if it is.
    conflict: str | None = None


MORE_THAN_ONE_METHOD = (
    "The request authenticates the client in more than one way ({methods}); RFC 6749 section 2.3 allows exactly one: "
    "send the credentials in the Authorization header (client_secret_basic), in the form (client_secret_post), or "
    "as a client_assertion (private_key_jwt), not in several places."
)
DIFFERENT_CLIENT_IDS = "The client_id in the form is not the one in {where}; send one client's credentials, once."


def _methods_used(form: dict[str, str], authorization: str | None) -> list[str]:
    """The client authentication methods a request uses (a `client_id` alone in the form authenticates nothing)."""
    used = []
    if authorization and authorization[:6].lower() == "basic ":
        used.append("client_secret_basic")
    if form.get("client_secret"):
        used.append("client_secret_post")
    if form.get("client_assertion") or form.get("client_assertion_type"):
        used.append(PRIVATE_KEY_JWT)
    return used


def presented_credentials(form: dict[str, str], authorization: str | None) -> PresentedCredentials:
    """The client id and secret (Basic header or form) or client assertion (RFC 7523) of a token request, or a
    `conflict` when the request uses more than one authentication method (then nothing else is read)."""
    if len(used := _methods_used(form, authorization)) > 1:
        return PresentedCredentials(None, None, None, MORE_THAN_ONE_METHOD.format(methods=" and ".join(used)))
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return PresentedCredentials(None, None, None)
        client_id, _, secret = decoded.partition(":")
        named = form.get("client_id")
        if named and named != unquote(client_id):
            return PresentedCredentials(None, None, None, DIFFERENT_CLIENT_IDS.format(where="the Authorization header"))
        return PresentedCredentials(unquote(client_id) or None, unquote(secret) or None, None)
    if form.get("client_assertion_type") == ASSERTION_TYPE and form.get("client_assertion"):
        assertion, subject = form["client_assertion"], _unverified_subject(form["client_assertion"])
        if form.get("client_id") and form["client_id"] != subject:  # RFC 7521 section 4.2: the same client
            return PresentedCredentials(None, None, None, DIFFERENT_CLIENT_IDS.format(where="the assertion's sub"))
        return PresentedCredentials(subject, None, assertion)
    return PresentedCredentials(form.get("client_id") or None, form.get("client_secret") or None, None)


def _unverified_subject(assertion: str) -> str | None:
    """The `sub` an assertion claims (verified later by Authlib), to know whose key and throttle apply."""
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) else None


@dataclass
class ReadyClient(ClientMixin):  # type: ignore[misc]
    """An Authlib client whose secret was already checked asynchronously."""

    credentials: ClientCredentials
    presented_secret: str | None
    secret_verified: bool
    assertion_jti: str | None = None
    assertion_expires_at: int | None = None

    def get_client_id(self) -> str:
        return self.credentials.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        granted = rules.granted_scopes(scope, self.credentials.scopes) or ()
        return " ".join(granted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        presented = self.presented_secret or ""
        return self.secret_verified and secrets.compare_digest(client_secret.encode(), presented.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method in SECRET_METHODS:
            return True
        return method == PRIVATE_KEY_JWT and self.credentials.jwks is not None

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client authentication with the client's registered public keys.

    Replay protection is a unique row per (client, jti), inserted after Authlib accepts the assertion.
    """

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, audiences: list[str]) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._audiences = audiences

    def get_audiences(self) -> list[str]:
        return self._audiences

    def resolve_client_public_key(self, client: ReadyClient) -> jwk.KeySet:
        return jwk.KeySet.import_key_set(client.credentials.jwks or {"keys": []})  # type: ignore[arg-type]

    def verify_claims(self, claims: Any) -> None:
        super().verify_claims(claims)
        issued_at, expires_at = claims.get("iat"), claims.get("exp")
        if not isinstance(issued_at, int) or not isinstance(expires_at, int):
            raise_invalid_client("The assertion needs numeric iat and exp.")
        if expires_at - issued_at > MAX_ASSERTION_LIFETIME_SECONDS:
            raise_invalid_client("The assertion may live at most one hour (exp - iat <= 3600).")

    def validate_jti(self, claims: Any, jti: str) -> bool:
        # Recorded on the client; the caller inserts it (unique) in the request's transaction.
        self._seen = (str(jti), int(claims["exp"]))
        return True

    def authenticate_client(self, client: ReadyClient) -> ReadyClient:
        authenticated: ReadyClient = super().authenticate_client(client)
        authenticated.assertion_jti, authenticated.assertion_expires_at = self._seen
        return authenticated


def raise_invalid_client(description: str) -> None:
    from authlib.oauth2.rfc6749 import InvalidClientError

    raise InvalidClientError(description=description)


class AccessTokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens signed with the active key, bound to the partner and environment."""

    def __init__(self, settings: Settings, keys: SigningKeyRing) -> None:
        super().__init__(
            issuer=settings.issuer,
            alg=ALGORITHM,
            expires_generator=lambda client, grant_type: settings.token_ttl_seconds,
        )
        self._settings = settings
        self._keys = keys

    def get_jwks(self) -> jwk.KeySet:
        return self._keys.signing_key_set()

    def get_audiences(self, client: ReadyClient, user: Any, scope: str) -> str:
        return self._settings.token_audience

    def get_extra_claims(self, client: ReadyClient, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        claims: dict[str, Any] = {"environment": client.credentials.environment.value}
        if client.credentials.partner_id is not None:
            claims["partner_id"] = client.credentials.partner_id
        return claims


class ClientCredentialsOnly(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [*SECRET_METHODS, PRIVATE_KEY_JWT]


@dataclass
class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """A per-request Authlib server that knows exactly one (already loaded) client."""

    settings: Settings
    keys: SigningKeyRing
    client: ReadyClient | None
    response: tuple[int, Any, list[tuple[str, str]]] | None = field(default=None)

    def __post_init__(self) -> None:
        AuthorizationServer.__init__(self, scopes_supported=list(rules.ALL_SCOPES))
        self.register_grant(ClientCredentialsOnly)
        self.register_token_generator("default", AccessTokenGenerator(self.settings, self.keys))
        issuer = self.settings.issuer
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt([f"{issuer}/oauth/token", issuer]))

    def query_client(self, client_id: str) -> ReadyClient | None:
        if self.client is not None and secrets.compare_digest(client_id, self.client.get_client_id()):
            return self.client
        return None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: access tokens are self-contained JWTs, and there are no refresh tokens."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Any:
        return status, body, headers

    def validate_requested_scope(self, scope: str | None) -> None:
        """The requested scopes must be a subset of the client's own (none requested: all of them)."""
        if self.client is not None and rules.granted_scopes(scope, self.client.credentials.scopes) is None:
            missing = " ".join(sorted(set((scope or "").split()) - set(self.client.credentials.scopes)))
            held = f"The client does not hold every requested scope (not held: {missing})."
            raise InvalidScopeError(description=held)
        if scope and not set(scope.split()) <= set(rules.ALL_SCOPES):
            unknown = " ".join(sorted(set(scope.split()) - set(rules.ALL_SCOPES)))
            raise InvalidScopeError(description=f"Unknown scope: {unknown}; see scopes_supported in the metadata.")


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """Authlib's request for an already parsed form-encoded POST."""

    def __init__(self, url: str, form: dict[str, str], headers: dict[str, str]) -> None:
        # TLS is terminated in front of us; Authlib insists on an https URI, which it only inspects.
        super().__init__("POST", "https://" + url.split("://", 1)[-1], headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


def oauth_request(url: str, form: dict[str, str], headers: dict[str, str]) -> OAuth2Request:
    """Authlib's request object for a form-encoded POST."""
    return FormRequest(url, form, headers)
