"""Who may hold which scope, token scope subsetting, client and partner state changes."""

from __future__ import annotations

import pytest

from domain import clients, partners
from domain.clients import Environment
from domain.errors import InvalidStateTransition, ValidationFailed


def test_partner_client_scopes_are_returned_in_catalogue_order() -> None:
    assert clients.check_scopes(
        ["vouchers:read", "courses:read"], for_partner=True, environment=Environment.SANDBOX
    ) == (
        "courses:read",
        "vouchers:read",
    )


@pytest.mark.parametrize(
    ("scopes", "for_partner", "environment"),
    [
        (["programme:partners"], True, Environment.SANDBOX),
        (["courses:read", "programme:audit"], True, Environment.PRODUCTION),
        (["courses:read"], False, Environment.PRODUCTION),
        (["sandbox:simulate"], True, Environment.PRODUCTION),
        (["made:up"], True, Environment.SANDBOX),
        ([], True, Environment.SANDBOX),
    ],
)
def test_forbidden_scope_sets(scopes: list[str], for_partner: bool, environment: Environment) -> None:
    with pytest.raises(ValidationFailed) as raised:
        clients.check_scopes(scopes, for_partner=for_partner, environment=environment)
    assert raised.value.problems[0].field == "scopes"


def test_default_scopes() -> None:
    assert "sandbox:simulate" not in clients.default_scopes(for_partner=True, environment=Environment.PRODUCTION)
    assert "sandbox:simulate" in clients.default_scopes(for_partner=True, environment=Environment.SANDBOX)
    assert all(
        s.startswith("programme:") for s in clients.default_scopes(for_partner=False, environment=Environment.SANDBOX)
    )


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, ("a", "b")), ("", ("a", "b")), ("b", ("b",)), ("b a", ("a", "b")), ("c", None), ("a c", None)],
)
def test_granted_scopes(requested: str | None, expected: tuple[str, ...] | None) -> None:
    assert clients.granted_scopes(requested, ("a", "b")) == expected


@pytest.mark.parametrize(
    ("app_env", "client_env", "accepted"),
    [
        ("production", Environment.PRODUCTION, True),
        ("production", Environment.SANDBOX, False),
        ("sandbox", Environment.SANDBOX, True),
        ("sandbox", Environment.PRODUCTION, False),
        ("development", Environment.SANDBOX, True),
        ("development", Environment.PRODUCTION, True),
    ],
)
def test_environment_isolation(app_env: str, client_env: Environment, accepted: bool) -> None:
    assert clients.environment_accepted(app_env, client_env) is accepted


def test_client_disable_is_final() -> None:
    assert clients.disable(clients.ClientStatus.ACTIVE) == clients.ClientStatus.DISABLED
    with pytest.raises(InvalidStateTransition):
        clients.disable(clients.ClientStatus.DISABLED)


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (partners.PartnerStatus.ACTIVE, "suspend", partners.PartnerStatus.SUSPENDED),
        (partners.PartnerStatus.SUSPENDED, "reinstate", partners.PartnerStatus.ACTIVE),
        (partners.PartnerStatus.SUSPENDED, "suspend", None),
        (partners.PartnerStatus.ACTIVE, "reinstate", None),
    ],
)
def test_partner_transitions(
    status: partners.PartnerStatus, action: str, expected: partners.PartnerStatus | None
) -> None:
    if expected is None:
        with pytest.raises(InvalidStateTransition):
            partners.transition(status, action)
    else:
        assert partners.transition(status, action) == expected


EC_PUBLIC = {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k1"}


@pytest.mark.parametrize(
    ("jwks", "problem"),
    [
        ({"keys": [EC_PUBLIC]}, None),
        ({"keys": [EC_PUBLIC] * 10}, None),
        ({"keys": []}, "1 to 10"),
        ({"keys": [EC_PUBLIC] * 11}, "1 to 10"),
        ({"nope": []}, "1 to 10"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "kty"),
        ({"keys": ["not a key"]}, "kty"),
        ({"keys": [{**EC_PUBLIC, "d": "private"}]}, "public keys only"),
    ],
)
def test_jwks_structure(jwks: dict[str, object], problem: str | None) -> None:
    found = clients.jwks_problem(jwks)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_every_scope_says_what_it_grants() -> None:
    assert list(clients.SCOPE_DESCRIPTIONS) == list(clients.ALL_SCOPES)
    for scope, description in clients.SCOPE_DESCRIPTIONS.items():
        assert description.endswith("."), scope
        assert description.startswith("Programme: ") == scope.startswith("programme:"), scope
