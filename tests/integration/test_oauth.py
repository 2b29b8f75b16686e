"""OAuth 2.0 client credentials: client authentication, scopes, token shape, verification and revocation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from joserfc import jwk, jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import asgi_app
from api.auth.signing_keys import SigningKeyRing
from api.settings import Settings
from tests.auth import Credentials, onboard_partner, request_token, token_for

Client = AsyncTestClient[Any]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def ring_of(app: Litestar) -> SigningKeyRing:
    ring: SigningKeyRing = app.state.signing_keys
    return ring


async def me(client: Client, token: str) -> Any:
    return await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


# --- client authentication -------------------------------------------------------------------------


async def test_client_secret_basic_issues_a_bearer_jwt(client: Client, partner_a: Credentials) -> None:
    response = await request_token(client, partner_a.client_id, partner_a.client_secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["exp"] - claims["iat"] <= 900
    assert claims["sub"] == claims["client_id"] == partner_a.client_id
    assert claims["partner_id"] == partner_a.partner_id
    assert claims["environment"] == "sandbox"
    assert claims["iss"] == "http://testserver.local"
    assert claims["aud"] == "prakerja-partner-api"
    assert claims["jti"]
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"] in {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}


async def test_client_secret_post_works(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": partner_a.client_id,
            "client_secret": partner_a.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_wrong_secret_is_invalid_client(client: Client, partner_a: Credentials, method: str) -> None:
    form = {"grant_type": "client_credentials"}
    if method == "basic":
        response = await client.post("/oauth/token", data=form, auth=(partner_a.client_id, "cs_wrong"))
    else:
        form |= {"client_id": partner_a.client_id, "client_secret": "cs_wrong"}
        response = await client.post("/oauth/token", data=form)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["code"] == "invalid_client"
    assert body["error_description"] == "client authentication failed: unknown client or wrong secret"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert partner_a.client_secret not in response.text


async def test_unknown_client_and_missing_credentials_are_invalid_client(client: Client) -> None:
    unknown = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("cli_nobody", "x"))
    assert unknown.status_code == 401
    missing = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_client"


async def test_other_grant_types_are_unsupported(client: Client, partner_a: Credentials) -> None:
    for grant in ("password", "authorization_code", "refresh_token"):
        response = await client.post(
            "/oauth/token", data={"grant_type": grant}, auth=(partner_a.client_id, partner_a.client_secret)
        )
        assert response.status_code == 400, grant
        body = response.json()
        assert body["error"] == "unsupported_grant_type"
        assert (
            body["error_description"]
            == body["detail"]
            == (
                f"grant_type {grant} is not supported; this server supports client_credentials and "
                "urn:ietf:params:oauth:grant-type:token-exchange."
            )
        )


@pytest.mark.parametrize("grant", ["", 'pass"word'])
async def test_an_empty_or_odd_grant_type_is_explained_without_echoing_it(
    client: Client, partner_a: Credentials, grant: str
) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": grant}, auth=(partner_a.client_id, partner_a.client_secret)
    )
    assert response.status_code == 400
    description = response.json()["error_description"]
    supported = "this server supports client_credentials and urn:ietf:params:oauth:grant-type:token-exchange."
    if grant:
        assert description == f"This grant_type is not supported; {supported}"
    else:
        assert description == f"grant_type is required; {supported}"


async def test_every_oauth_refusal_is_explained_in_words(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    a = (partner_a.client_id, partner_a.client_secret)
    refusals = [
        await client.post("/oauth/token", data={"grant_type": "password"}, auth=a),
        await client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "nonsense:x"}, auth=a),
        await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(partner_a.client_id, "x")),
        await client.post("/oauth/token", data={"grant_type": "client_credentials"}),
        await client.post(
            "/oauth/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"}, auth=a
        ),
    ]
    for path in ("/oauth/introspect", "/oauth/revoke"):
        refusals.append(await client.post(path, data={"token": "t"}))
        refusals.append(await client.post(path, data={"token": "t", "client_id": partner_b.client_id}, auth=a))
    for response in refusals:
        body = response.json()
        assert response.status_code in (400, 401), response.text
        assert body["error_description"] == body["detail"], response.text
        assert body["error"] not in body["detail"], response.text  # words, not the code repeated
        assert len(body["detail"].split()) >= 4, response.text


async def test_a_scope_not_held_is_named(client: Client, partner_a: Credentials) -> None:
    response = await request_token(client, partner_a.client_id, partner_a.client_secret, "vouchers:read nonsense:x")
    assert response.json()["error_description"] == (
        "The client does not hold every requested scope (not held: nonsense:x)."
    )


# --- one authentication method per request (RFC 6749 section 2.3) -----------------------------------------

OAUTH_ENDPOINTS = ("/oauth/token", "/oauth/introspect", "/oauth/revoke")


def form_for(path: str, **fields: str) -> dict[str, str]:
    first = {"grant_type": "client_credentials"} if path == "/oauth/token" else {"token": "not-a-token"}
    return first | fields


async def failures_counted(db_url: str) -> int:
    """Attempts the failure throttle holds against any client (a success gives its place back)."""
    conn = await asyncpg.connect(db_url)
    try:
        counted: int = await conn.fetchval("SELECT coalesce(sum(failures), 0) FROM client_auth_failures")
    finally:
        await conn.close()
    return counted


@pytest.mark.parametrize("path", OAUTH_ENDPOINTS)
@pytest.mark.parametrize("whose_form", ["other", "same"])
async def test_basic_and_form_secret_together_are_invalid_request(
    client: Client, db_url: str, partner_a: Credentials, partner_b: Credentials, path: str, whose_form: str
) -> None:
    in_form = partner_b if whose_form == "other" else partner_a
    form = form_for(path, client_id=in_form.client_id, client_secret=in_form.client_secret)
    response = await client.post(path, data=form, auth=(partner_a.client_id, partner_a.client_secret))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == body["code"] == "invalid_request"
    assert "more than one way (client_secret_basic and client_secret_post)" in body["error_description"]
    assert body["detail"] == body["error_description"]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert partner_a.client_secret not in response.text
    assert partner_b.client_secret not in response.text
    assert await failures_counted(db_url) == 0  # neither client had a failed authentication


async def test_basic_and_a_client_assertion_together_are_invalid_request(
    client: Client, db_url: str, jwt_client: Credentials, partner_a: Credentials
) -> None:
    form = form_for(
        "/oauth/token",
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion(jwt_client),
    )
    response = await client.post("/oauth/token", data=form, auth=(partner_a.client_id, partner_a.client_secret))
    assert response.status_code == 400, response.text
    assert "client_secret_basic and private_key_jwt" in response.json()["error_description"]
    assert await failures_counted(db_url) == 0


async def test_a_different_client_id_in_the_form_is_invalid_request(
    client: Client, db_url: str, partner_a: Credentials, partner_b: Credentials
) -> None:
    form = form_for("/oauth/token", client_id=partner_b.client_id)
    response = await client.post("/oauth/token", data=form, auth=(partner_a.client_id, partner_a.client_secret))
    assert response.status_code == 400, response.text
    assert response.json()["error_description"].startswith("The client_id in the form is not the one in")
    assert await failures_counted(db_url) == 0


async def test_a_client_id_other_than_the_assertions_subject_is_invalid_request(
    client: Client, db_url: str, jwt_client: Credentials, partner_a: Credentials
) -> None:
    form = form_for(
        "/oauth/token",
        client_id=partner_a.client_id,
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion(jwt_client),
    )
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 400, response.text
    assert response.json()["error_description"].startswith("The client_id in the form is not the one in the assert")
    assert await failures_counted(db_url) == 0
    same = form | {"client_id": jwt_client.client_id}
    assert (await client.post("/oauth/token", data=same)).status_code == 200


async def test_basic_with_its_own_client_id_in_the_form_is_one_method(client: Client, partner_a: Credentials) -> None:
    form = form_for("/oauth/token", client_id=partner_a.client_id)
    response = await client.post("/oauth/token", data=form, auth=(partner_a.client_id, partner_a.client_secret))
    assert response.status_code == 200, response.text


# --- the forms are forms ------------------------------------------------------------------------------------

FORM_ONLY = "This endpoint takes a form, `Content-Type: application/x-www-form-urlencoded` (RFC 6749)"


@pytest.mark.parametrize("path", OAUTH_ENDPOINTS)
async def test_a_json_body_is_415_not_an_empty_form(
    client: Client, db_url: str, partner_a: Credentials, path: str
) -> None:
    body = form_for(path, client_id=partner_a.client_id, client_secret=partner_a.client_secret)
    response = await client.post(path, json=body)
    assert response.status_code == 415, response.text
    problem = response.json()
    assert problem["code"] == "unsupported_media_type"
    assert problem["detail"] == f"{FORM_ONLY}, not `application/json`."
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await failures_counted(db_url) == 0  # refused before any client authentication


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("text/plain", ", not `text/plain`."),
        ("multipart/form-data; boundary=x", ", not `multipart/form-data`."),
        (None, "; the header is missing."),
    ],
)
async def test_any_other_body_is_415(
    client: Client, partner_a: Credentials, content_type: str | None, said: str
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers=headers,
        auth=(partner_a.client_id, partner_a.client_secret),
    )
    assert response.status_code == 415, response.text
    assert response.json()["detail"] == FORM_ONLY + said


async def test_a_form_with_a_charset_is_a_form(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        auth=(partner_a.client_id, partner_a.client_secret),
    )
    assert response.status_code == 200, response.text


async def test_no_body_at_all_says_what_is_missing(client: Client, partner_a: Credentials) -> None:
    response = await client.post("/oauth/token", auth=(partner_a.client_id, partner_a.client_secret))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grant_type"


# --- private_key_jwt -----------------------------------------------------------------------------------


@pytest.fixture
async def jwt_client(client: Client, programme: Credentials, partner_a: Credentials) -> Credentials:
    """A partner client registered with a public key, holding the private key for assertions."""
    key = jwk.ECKey.generate_key("P-256", parameters={"kid": "partner-key-1"})
    created = await client.post(
        f"/v1/programme/partners/{partner_a.partner_id}/clients",
        json={
            "name": "JWT client",
            "environment": "sandbox",
            "scopes": ["vouchers:read"],
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
        headers=programme.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert "private_key_jwt" in body["token_endpoint_auth_methods"]
    creds = Credentials(body["client_id"], body["client_secret"], partner_a.partner_id)
    creds.extra["key"] = key
    return creds


def assertion(
    creds: Credentials,
    *,
    lifetime: int = 120,
    aud: str = "http://testserver.local/oauth/token",
    jti: str | None = None,
    key: Any = None,
) -> str:
    now = int(time.time())
    claims = {
        "iss": creds.client_id,
        "sub": creds.client_id,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_hex(8),
    }
    return jwt.encode({"alg": "ES256", "kid": "partner-key-1"}, claims, key or creds.extra["key"])


async def post_assertion(client: Client, signed: str) -> Any:
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
        },
    )


async def test_private_key_jwt_issues_a_token(client: Client, jwt_client: Credentials) -> None:
    response = await post_assertion(client, assertion(jwt_client))
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "vouchers:read"


async def test_private_key_jwt_replayed_jti_is_refused(client: Client, jwt_client: Credentials) -> None:
    signed = assertion(jwt_client, jti="once-only")
    assert (await post_assertion(client, signed)).status_code == 200
    replay = await post_assertion(client, signed)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "variant",
    ["other_key", "long_lifetime", "wrong_audience", "expired"],
)
async def test_private_key_jwt_bad_assertions_are_refused(
    client: Client, jwt_client: Credentials, variant: str
) -> None:
    if variant == "other_key":
        signed = assertion(jwt_client, key=jwk.ECKey.generate_key("P-256", parameters={"kid": "partner-key-1"}))
    elif variant == "long_lifetime":
        signed = assertion(jwt_client, lifetime=3601)
    elif variant == "wrong_audience":
        signed = assertion(jwt_client, aud="https://elsewhere.example/token")
    else:
        signed = assertion(jwt_client, lifetime=-600)
    response = await post_assertion(client, signed)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"


async def test_jwks_with_a_private_key_is_refused(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    key = jwk.ECKey.generate_key("P-256")
    response = await client.post(
        f"/v1/programme/partners/{partner_a.partner_id}/clients",
        json={
            "name": "x",
            "environment": "sandbox",
            "scopes": ["vouchers:read"],
            "jwks": {"keys": [key.as_dict(private=True)]},
        },
        headers=programme.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "jwks"


# --- scopes ------------------------------------------------------------------------------------------


async def test_scope_subset_and_default(client: Client, partner_a: Credentials) -> None:
    subset = await request_token(client, partner_a.client_id, partner_a.client_secret, "vouchers:read courses:read")
    assert subset.status_code == 200
    assert set(subset.json()["scope"].split()) == {"vouchers:read", "courses:read"}
    assert set(claims_of(subset.json()["access_token"])["scope"].split()) == {"vouchers:read", "courses:read"}
    everything = await request_token(client, partner_a.client_id, partner_a.client_secret)
    assert "courses:write" in everything.json()["scope"].split()


@pytest.mark.parametrize("scope", ["programme:partners", "vouchers:read programme:audit", "nonsense:scope"])
async def test_scope_not_held_is_invalid_scope(client: Client, partner_a: Credentials, scope: str) -> None:
    response = await request_token(client, partner_a.client_id, partner_a.client_secret, scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_missing_scope_is_403_with_www_authenticate(client: Client, partner_a: Credentials) -> None:
    token = await token_for(client, partner_a.client_id, partner_a.client_secret, "vouchers:read")
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200  # /v1/me needs no particular scope
    partner_only = await client.get("/v1/programme/partners", headers={"Authorization": f"Bearer {token}"})
    assert partner_only.status_code == 404  # programme endpoints do not exist for partners


async def test_programme_token_lacking_scope_gets_403(client: Client, settings: Settings) -> None:
    from api.jobs.bootstrap import create_programme_client

    issued = await create_programme_client(settings, "Auditor", ["programme:audit"])
    token = await token_for(client, issued.client_id, issued.client_secret)
    response = await client.get("/v1/programme/partners", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="programme:partners"'


# --- resource server: the negative JWT suite ---------------------------------------------------------


def forge(ring: SigningKeyRing, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token signed with the real private key but with chosen header and claims."""
    assert ring.active is not None
    return jwt.encode(header, claims, ring.active, algorithms=[header.get("alg", "ES256")])


def good_claims(creds: Credentials, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "http://testserver.local",
        "aud": "prakerja-partner-api",
        "sub": creds.client_id,
        "client_id": creds.client_id,
        "partner_id": creds.partner_id,
        "environment": "sandbox",
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(8),
        "scope": "vouchers:read",
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


async def test_a_well_forged_token_with_the_real_key_is_accepted(
    client: Client, app: Litestar, partner_a: Credentials
) -> None:
    ring = ring_of(app)
    assert ring.active is not None
    token = forge(ring, {"alg": "ES256", "typ": "at+jwt", "kid": ring.active.kid}, good_claims(partner_a))
    assert (await me(client, token)).status_code == 200


def negative_tokens(ring: SigningKeyRing, creds: Credentials) -> dict[str, str]:
    assert ring.active is not None
    kid = ring.active.kid
    header = {"alg": "ES256", "typ": "at+jwt", "kid": kid}
    public_pem = json.dumps(ring.active.as_dict(private=False)).encode()
    hs_header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    hs_signing_input = f"{b64(json.dumps(hs_header).encode())}.{b64(json.dumps(good_claims(creds)).encode())}"
    hs_signature = hmac.new(public_pem, hs_signing_input.encode(), hashlib.sha256).digest()
    return {
        "alg_none": unsigned({"alg": "none", "typ": "at+jwt", "kid": kid}, good_claims(creds)),
        "hmac_with_public_key": f"{hs_signing_input}.{b64(hs_signature)}",
        "wrong_iss": forge(ring, header, good_claims(creds, iss="https://evil.example")),
        "wrong_aud": forge(ring, header, good_claims(creds, aud="another-api")),
        "expired": forge(ring, header, good_claims(creds, iat=int(time.time()) - 3600, exp=int(time.time()) - 120)),
        "nbf_future": forge(ring, header, good_claims(creds, nbf=int(time.time()) + 600)),
        "missing_typ": forge(ring, {"alg": "ES256", "kid": kid}, good_claims(creds)),
        "wrong_typ": forge(ring, {"alg": "ES256", "typ": "JWT", "kid": kid}, good_claims(creds)),
        "missing_sub": forge(ring, header, good_claims(creds, sub=None)),
        "missing_client_id": forge(ring, header, good_claims(creds, client_id=None)),
        "missing_jti": forge(ring, header, good_claims(creds, jti=None)),
        "unknown_kid": forge(ring, {**header, "kid": "no-such-key"}, good_claims(creds)),
        "jwk_in_header": forge(ring, {**header, "jwk": ring.active.as_dict(private=False)}, good_claims(creds)),
        "huge_header": unsigned({**header, "x": "a" * 8200}, good_claims(creds), b"s" * 64),
        "garbage": "not.a.token",
        "not_base64": "@@@.###.$$$",
        "two_segments": "abc.def",
        "tampered_payload": (
            lambda t: (
                t.split(".")[0]
                + "."
                + b64(json.dumps(good_claims(creds, scope="programme:audit")).encode())
                + "."
                + t.split(".")[2]
            )
        )(forge(ring, header, good_claims(creds))),
    }


async def test_negative_jwt_suite_is_401_never_500(client: Client, app: Litestar, partner_a: Credentials) -> None:
    for name, token in negative_tokens(ring_of(app), partner_a).items():
        response = await me(client, token)
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert response.json()["code"] == "invalid_token", name
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"'), name


async def test_missing_or_non_bearer_authorization_is_401(client: Client, partner_a: Credentials) -> None:
    assert (await client.get("/v1/me")).status_code == 401
    basic = await client.get("/v1/me", auth=(partner_a.client_id, partner_a.client_secret))
    assert basic.status_code == 401
    assert basic.headers["www-authenticate"].startswith("Bearer")


async def test_each_concurrent_request_sees_its_own_caller(
    client: Client, partner_a: Credentials, partner_b: Credentials, programme: Credentials
) -> None:
    """The guard hands a handler its caller through the serving task's context (`current_principal`): requests of
    three clients interleaved, concurrently and one after another on one task, each answered for its own token."""
    callers = [partner_a, partner_b, programme] * 10
    answers = await asyncio.gather(*(client.get("/v1/me", headers=caller.headers) for caller in callers))
    for caller in callers:  # one task, one after another
        answers.append(await client.get("/v1/me", headers=caller.headers))
    for caller, answer in zip(callers * 2, answers, strict=True):
        assert answer.status_code == 200, answer.text
        assert (answer.json()["client_id"], answer.json()["partner_id"]) == (caller.client_id, caller.partner_id)
    assert (await client.get("/v1/me")).status_code == 401, "no caller left over from the requests before"


# --- revocation, disabling, suspension ---------------------------------------------------------------


async def test_revoked_token_stops_working(client: Client, partner_a: Credentials) -> None:
    assert (await me(client, partner_a.token)).status_code == 200
    response = await client.post(
        "/oauth/revoke", data={"token": partner_a.token}, auth=(partner_a.client_id, partner_a.client_secret)
    )
    assert response.status_code == 200
    assert (await me(client, partner_a.token)).status_code == 401
    # Revoking garbage is still 200 (RFC 7009).
    junk = await client.post(
        "/oauth/revoke", data={"token": "junk"}, auth=(partner_a.client_id, partner_a.client_secret)
    )
    assert junk.status_code == 200


async def test_another_client_cannot_revoke_or_introspect_my_token(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    auth_b = (partner_b.client_id, partner_b.client_secret)
    assert (await client.post("/oauth/revoke", data={"token": partner_a.token}, auth=auth_b)).status_code == 200
    assert (await me(client, partner_a.token)).status_code == 200
    foreign = await client.post("/oauth/introspect", data={"token": partner_a.token}, auth=auth_b)
    assert foreign.json() == {"active": False}


async def test_introspection_of_own_token(client: Client, partner_a: Credentials) -> None:
    auth = (partner_a.client_id, partner_a.client_secret)
    response = await client.post("/oauth/introspect", data={"token": partner_a.token}, auth=auth)
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == partner_a.client_id
    assert body["partner_id"] == partner_a.partner_id
    assert body["exp"] - body["iat"] <= 900
    assert (await client.post("/oauth/introspect", data={"token": "x.y.z"}, auth=auth)).json() == {"active": False}
    unauthenticated = await client.post("/oauth/introspect", data={"token": partner_a.token})
    assert unauthenticated.status_code == 401


async def test_disabled_client_loses_tokens_and_gets_no_new_ones(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    response = await client.post(f"/v1/programme/clients/{partner_a.client_id}/disable", headers=programme.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disabled"
    assert (await me(client, partner_a.token)).status_code == 401
    again = await request_token(client, partner_a.client_id, partner_a.client_secret)
    assert again.status_code == 401
    twice = await client.post(f"/v1/programme/clients/{partner_a.client_id}/disable", headers=programme.headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "invalid_state_transition"


async def test_suspended_partner_loses_access_until_reinstated(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    url = f"/v1/programme/partners/{partner_a.partner_id}"
    suspended = await client.post(f"{url}/suspend", json={"reason": "audit finding"}, headers=programme.headers)
    assert suspended.json()["status"] == "suspended"
    assert (await me(client, partner_a.token)).status_code == 401
    assert (await request_token(client, partner_a.client_id, partner_a.client_secret)).status_code == 401
    assert (await client.post(f"{url}/suspend", headers=programme.headers)).status_code == 409
    reinstated = await client.post(f"{url}/reinstate", headers=programme.headers)
    assert reinstated.json()["status"] == "active"
    fresh = await token_for(client, partner_a.client_id, partner_a.client_secret)
    assert (await me(client, fresh)).status_code == 200


async def test_another_api_process_stops_accepting_within_the_cache_bound(
    client: Client, settings: Settings, programme: Credentials, partner_a: Credentials
) -> None:
    """A second app on the same database (as another process would be) learns of a disable within its TTL."""
    other_settings = replace(settings, auth_cache_ttl_seconds=1.0)
    async with AsyncTestClient(app=asgi_app(other_settings)) as other:  # type: ignore[arg-type]
        assert (await me(other, partner_a.token)).status_code == 200
        await client.post(f"/v1/programme/clients/{partner_a.client_id}/disable", headers=programme.headers)
        await asyncio.sleep(1.2)
        assert (await me(other, partner_a.token)).status_code == 401


# --- secrets ----------------------------------------------------------------------------------------


async def test_rotation_grace_period_works_and_ends(client: Client, settings: Settings, programme: Credentials) -> None:
    async with AsyncTestClient(app=asgi_app(replace(settings, secret_rotation_grace_seconds=2))) as short:  # type: ignore[arg-type]
        creds = await onboard_partner(short, programme, "Rotating partner")
        rotated = await short.post(f"/v1/programme/clients/{creds.client_id}/rotate-secret", headers=programme.headers)
        assert rotated.status_code == 200
        new_secret = rotated.json()["client_secret"]
        assert new_secret != creds.client_secret
        assert rotated.json()["previous_secret_expires_at"] is not None
        assert (await request_token(short, creds.client_id, creds.client_secret)).status_code == 200
        assert (await request_token(short, creds.client_id, new_secret)).status_code == 200
        await asyncio.sleep(2.2)
        assert (await request_token(short, creds.client_id, creds.client_secret)).status_code == 401
        assert (await request_token(short, creds.client_id, new_secret)).status_code == 200


async def test_a_stale_secret_says_unknown_client_or_wrong_secret(settings: Settings, programme: Credentials) -> None:
    """No grace: the secret replaced by a rotation is stale at once, and says so in the same words as a wrong one."""
    async with AsyncTestClient(app=asgi_app(replace(settings, secret_rotation_grace_seconds=0))) as strict:  # type: ignore[arg-type]
        creds = await onboard_partner(strict, programme, "Strict partner")
        rotated = await strict.post(f"/v1/programme/clients/{creds.client_id}/rotate-secret", headers=programme.headers)
        assert rotated.status_code == 200, rotated.text
        stale = await request_token(strict, creds.client_id, creds.client_secret)
        assert stale.status_code == 401
        assert stale.json()["error"] == "invalid_client"
        assert stale.json()["error_description"] == "client authentication failed: unknown client or wrong secret"
        assert (await request_token(strict, creds.client_id, rotated.json()["client_secret"])).status_code == 200


async def test_secrets_are_stored_only_as_argon2_hashes(db_url: str, partner_a: Credentials) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow("SELECT secret_hash FROM oauth_clients WHERE client_id = $1", partner_a.client_id)
        assert row is not None
        assert row["secret_hash"].startswith("$argon2id$")
        assert partner_a.client_secret not in row["secret_hash"]
        dumped = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM audit_log t")
        assert partner_a.client_secret not in (dumped or "")
    finally:
        await conn.close()


async def test_secret_has_at_least_256_bits(partner_a: Credentials) -> None:
    raw = partner_a.client_secret.removeprefix("cs_")
    assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) >= 32


async def test_failed_authentication_is_throttled_across_processes(
    client: Client, settings: Settings, partner_a: Credentials
) -> None:
    limited = replace(settings, auth_failure_limit=3, auth_failure_window_seconds=60)
    async with (
        AsyncTestClient(app=asgi_app(limited)) as first,  # type: ignore[arg-type]
        AsyncTestClient(app=asgi_app(limited)) as second,  # type: ignore[arg-type]
    ):
        for attempt in range(3):
            server = first if attempt % 2 == 0 else second
            assert (await request_token(server, partner_a.client_id, "cs_wrong")).status_code == 401
        for server in (first, second):
            blocked = await request_token(server, partner_a.client_id, partner_a.client_secret)
            assert blocked.status_code == 429
            assert blocked.json()["code"] == "rate_limited"
            assert 0 < int(blocked.headers["retry-after"]) <= 60


# --- keys -------------------------------------------------------------------------------------------


async def test_key_rotation_keeps_old_tokens_valid(
    client: Client, app: Litestar, settings: Settings, partner_a: Credentials
) -> None:
    from api.jobs.bootstrap import rotate_signing_key

    old_kid = json.loads(base64.urlsafe_b64decode(partner_a.token.split(".")[0] + "=="))["kid"]
    new_kid = await rotate_signing_key(settings)
    assert new_kid != old_kid
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert old_kid in kids
    assert (await me(client, partner_a.token)).status_code == 200
    ring = ring_of(app)
    ring.loaded_at = float("-inf")  # as after the refresh interval has passed: the next JWKS read reloads
    assert {old_kid, new_kid} <= {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    fresh = await token_for(client, partner_a.client_id, partner_a.client_secret)
    assert json.loads(base64.urlsafe_b64decode(fresh.split(".")[0] + "=="))["kid"] == new_kid
    assert (await me(client, fresh)).status_code == 200
    assert (await me(client, partner_a.token)).status_code == 200


async def test_metadata_and_jwks(client: Client) -> None:
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == "http://testserver.local"
    assert metadata["token_endpoint"] == "http://testserver.local/oauth/token"
    assert metadata["grant_types_supported"] == [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ]
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys
    assert all("d" not in key and key["kid"] for key in keys)
