"""How a token request's client credentials and refusals are read, without a server (RFC 6749 §2.3, §5.2)."""

from __future__ import annotations

import base64

import pytest

from api.auth.oauth_server import ASSERTION_TYPE, presented_credentials
from api.services.oauth import OAuthResponse, describe, explained

BASIC = "Basic " + base64.b64encode(b"cli_a:cs_a").decode()
ASSERTION = "e30.eyJzdWIiOiJjbGlfaiJ9.c2ln"  # {"sub": "cli_j"}, unverified here


@pytest.mark.parametrize(
    ("form", "authorization", "combined"),
    [
        ({"client_secret": "cs_a"}, BASIC, "client_secret_basic and client_secret_post"),
        ({"client_id": "cli_a", "client_secret": "cs_a"}, BASIC, "client_secret_basic and client_secret_post"),
        ({"client_assertion_type": ASSERTION_TYPE, "client_assertion": ASSERTION}, BASIC, "client_secret_basic and"),
        (
            {
                "client_id": "cli_j",
                "client_secret": "x",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": ASSERTION,
            },
            None,
            "client_secret_post and private_key_jwt",
        ),
    ],
)
def test_more_than_one_method_is_a_conflict(form: dict[str, str], authorization: str | None, combined: str) -> None:
    presented = presented_credentials(form, authorization)
    assert presented.client_id is None
    assert presented.secret is None
    assert presented.conflict is not None
    assert f"more than one way ({combined}" in presented.conflict


def test_a_client_id_must_name_the_client_the_credentials_are_for() -> None:
    other = presented_credentials({"client_id": "cli_b"}, BASIC).conflict
    assert other is not None
    assert "Authorization header" in other
    assertion = {"client_id": "cli_b", "client_assertion_type": ASSERTION_TYPE, "client_assertion": ASSERTION}
    assert "assertion's sub" in str(presented_credentials(assertion, None).conflict)


@pytest.mark.parametrize(
    ("form", "authorization", "client_id", "secret"),
    [
        ({}, BASIC, "cli_a", "cs_a"),
        ({"client_id": "cli_a"}, BASIC, "cli_a", "cs_a"),
        ({"client_id": "cli_a", "client_secret": "cs_a"}, None, "cli_a", "cs_a"),
        (
            {"client_id": "cli_j", "client_assertion_type": ASSERTION_TYPE, "client_assertion": ASSERTION},
            None,
            "cli_j",
            None,
        ),
    ],
)
def test_one_method_is_read(
    form: dict[str, str], authorization: str | None, client_id: str, secret: str | None
) -> None:
    presented = presented_credentials(form, authorization)
    assert presented.conflict is None
    assert (presented.client_id, presented.secret) == (client_id, secret)


def test_an_unsupported_grant_type_is_described() -> None:
    supported = "this server supports client_credentials and urn:ietf:params:oauth:grant-type:token-exchange."
    assert describe("unsupported_grant_type", {}) == f"grant_type is required; {supported}"
    assert describe("unsupported_grant_type", {"grant_type": "password"}) == (
        f"grant_type password is not supported; {supported}"
    )
    assert describe("unsupported_grant_type", {"grant_type": "pass\\word"}).startswith("This grant_type is not")
    assert describe("unsupported_grant_type", {"grant_type": "x" * 101}).startswith("This grant_type is not")


def test_only_a_refusal_without_words_gets_them() -> None:
    bare = explained(OAuthResponse(400, {"error": "invalid_grant"}, {}), {})
    assert bare.body["error_description"] == describe("invalid_grant", {})
    assert "invalid_grant" not in bare.body["error_description"]
    worded = OAuthResponse(400, {"error": "invalid_scope", "error_description": "Named."}, {})
    assert explained(worded, {}) == worded
    success = OAuthResponse(200, {"access_token": "t"}, {})
    assert explained(success, {}) == success
    assert describe("something_new", {}) == "The request was refused (something_new)."
