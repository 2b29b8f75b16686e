"""The bearer token as the guard reads it from the raw ASGI headers, and the scope rules `requires` precomputes."""

from __future__ import annotations

import pytest

from api.auth.access import bearer_token, requires
from api.http.errors import ApiError


def scope_with(*headers: tuple[bytes, bytes]) -> dict[str, object]:
    return {"type": "http", "headers": [(b"host", b"api.example"), *headers]}


def test_the_token_after_bearer_is_read_whatever_the_case_of_the_name_and_scheme() -> None:
    assert bearer_token(scope_with((b"authorization", b"Bearer abc.def.ghi"))) == "abc.def.ghi"
    assert bearer_token(scope_with((b"Authorization", b"bearer  abc.def.ghi "))) == "abc.def.ghi"


def test_the_first_authorization_header_counts() -> None:
    assert bearer_token(scope_with((b"authorization", b"Bearer first"), (b"authorization", b"Bearer second"))) == (
        "first"
    )


@pytest.mark.parametrize(
    "headers",
    [
        (),
        ((b"authorization", b""),),
        ((b"authorization", b"Basic dXNlcjpwYXNz"),),
        ((b"authorization", b"Bearer "),),
        ((b"authorizations", b"Bearer abc"),),
        ((b"x-authorization", b"Bearer abc"),),
    ],
)
def test_anything_but_a_bearer_token_is_invalid_token(headers: tuple[tuple[bytes, bytes], ...]) -> None:
    with pytest.raises(ApiError) as refused:
        bearer_token(scope_with(*headers))
    assert refused.value.status == 401
    assert refused.value.code == "invalid_token"


def test_requires_precomputes_what_the_guard_checks() -> None:
    partner = requires("courses:read", "vouchers:redeem")["opt"]
    assert partner["scopes"] == ("courses:read", "vouchers:redeem")
    assert partner["programme_only"] is False
    assert requires("programme:curation")["opt"]["programme_only"] is True
    assert requires()["opt"]["scopes"] == ()
