"""The OAuth 2.0 answers: token (RFC 6749 §5.1), introspection (RFC 7662 §2.2), revocation (RFC 7009), the
authorization server metadata (RFC 8414) and the public keys (RFC 7517), typed so that the spec and a generated
client know their fields."""

from __future__ import annotations

from typing import Annotated

import msgspec


class AccessTokenResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A successful token response (RFC 6749 §5.1): a bearer JWT access token, never a refresh token."""

    access_token: Annotated[str, msgspec.Meta(description="The RFC 9068 JWT to send as `Authorization: Bearer …`.")]
    token_type: Annotated[str, msgspec.Meta(description="Always `Bearer`.")]
    expires_in: Annotated[int, msgspec.Meta(ge=1, description="Seconds until the token expires (at most 900).")]
    scope: Annotated[str, msgspec.Meta(description="The granted scopes, space-separated.")]
    issued_token_type: Annotated[
        str | None,
        msgspec.Meta(description="RFC 8693 token exchange only (the staff portal): the type of the issued token."),
    ] = None


class TokenIntrospection(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 7662 §2.2: `active` and, for the caller's own valid token, its claims; anything else is only
    `{"active": false}`."""

    active: Annotated[bool, msgspec.Meta(description="Whether the token is valid, unexpired and unrevoked.")]
    scope: Annotated[str | None, msgspec.Meta(description="The token's scopes, space-separated.")] = None
    client_id: Annotated[str | None, msgspec.Meta(description="The client the token was issued to.")] = None
    sub: Annotated[str | None, msgspec.Meta(description="The token's subject (the client id).")] = None
    token_type: Annotated[str | None, msgspec.Meta(description="Always `Bearer`.")] = None
    iat: Annotated[int | None, msgspec.Meta(description="Issued at, seconds since the Unix epoch.")] = None
    exp: Annotated[int | None, msgspec.Meta(description="Expires at, seconds since the Unix epoch.")] = None
    iss: Annotated[str | None, msgspec.Meta(description="The issuer (this API's base URL).")] = None
    aud: Annotated[str | None, msgspec.Meta(description="The audience the token is valid for.")] = None
    jti: Annotated[str | None, msgspec.Meta(description="The token's unique id.")] = None
    environment: Annotated[str | None, msgspec.Meta(description="`sandbox` or `production`.")] = None
    partner_id: Annotated[str | None, msgspec.Meta(description="The partner of a partner client's token.")] = None


class TokenRevocation(msgspec.Struct, kw_only=True):
    """RFC 7009 §2.2: an empty object, whether or not the token was valid."""


class AuthorizationServerMetadata(msgspec.Struct, kw_only=True):
    """RFC 8414: where the OAuth endpoints are and what they support."""

    issuer: Annotated[str, msgspec.Meta(description="The issuer identifier (`iss` of every token).")]
    token_endpoint: Annotated[str, msgspec.Meta(description="Absolute URL of POST /oauth/token.")]
    introspection_endpoint: Annotated[str, msgspec.Meta(description="Absolute URL of POST /oauth/introspect.")]
    revocation_endpoint: Annotated[str, msgspec.Meta(description="Absolute URL of POST /oauth/revoke.")]
    jwks_uri: Annotated[str, msgspec.Meta(description="Absolute URL of the public keys.")]
    grant_types_supported: Annotated[list[str], msgspec.Meta(description="`client_credentials` and token exchange.")]
    response_types_supported: Annotated[list[str], msgspec.Meta(description="Empty: there is no authorization UI.")]
    scopes_supported: Annotated[list[str], msgspec.Meta(description="Every scope a client can hold.")]
    token_endpoint_auth_methods_supported: Annotated[list[str], msgspec.Meta(description="Client authentication.")]
    token_endpoint_auth_signing_alg_values_supported: Annotated[
        list[str], msgspec.Meta(description="Algorithms accepted for `private_key_jwt` assertions.")
    ]
    introspection_endpoint_auth_methods_supported: Annotated[
        list[str], msgspec.Meta(description="Client authentication at the introspection endpoint.")
    ]
    revocation_endpoint_auth_methods_supported: Annotated[
        list[str], msgspec.Meta(description="Client authentication at the revocation endpoint.")
    ]


class JsonWebKey(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A public key (RFC 7517): an EC P-256 key signing with ES256."""

    kty: Annotated[str, msgspec.Meta(description="Key type (`EC`).")]
    kid: Annotated[str, msgspec.Meta(description="The key id a token's header names.")]
    crv: Annotated[str | None, msgspec.Meta(description="The curve (`P-256`).")] = None
    x: Annotated[str | None, msgspec.Meta(description="The public point's x coordinate (base64url).")] = None
    y: Annotated[str | None, msgspec.Meta(description="The public point's y coordinate (base64url).")] = None
    alg: Annotated[str | None, msgspec.Meta(description="The signing algorithm (`ES256`).")] = None
    use: Annotated[str | None, msgspec.Meta(description="`sig`: the key verifies signatures.")] = None


class JsonWebKeySet(msgspec.Struct, kw_only=True):
    """RFC 7517 §5: every key that verifies a live token or an issued certificate."""

    keys: Annotated[list[JsonWebKey], msgspec.Meta(description="The public keys.")]
