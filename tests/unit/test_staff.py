"""Staff rules: role scopes, the scope intersection of the token exchange, passwords and the lock-out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.clients import PROGRAMME_SCOPES
from domain.errors import ValidationFailed
from domain.staff import (
    FAILED_LOGIN_LIMIT,
    LOCK_OUT,
    Role,
    after_failed_login,
    check_new_staff,
    granted_staff_scopes,
    locked,
    role_scopes,
)

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_each_role_maps_to_its_programme_scope() -> None:
    assert role_scopes(Role.CURATOR) == ("programme:curation",)
    assert role_scopes(Role.PARTNER_MANAGER) == ("programme:partners",)
    assert role_scopes(Role.SUPPORT) == ("programme:participants",)
    assert role_scopes(Role.FINANCE) == ("programme:finance",)
    assert role_scopes(Role.AUDITOR) == ("programme:audit",)
    assert set(role_scopes(Role.ADMIN)) == set(PROGRAMME_SCOPES)


def test_granted_scopes_never_exceed_the_role_or_the_client() -> None:
    assert granted_staff_scopes(Role.CURATOR, PROGRAMME_SCOPES, None) == ("programme:curation",)
    assert granted_staff_scopes(Role.CURATOR, PROGRAMME_SCOPES, "programme:finance") == ()
    assert granted_staff_scopes(Role.ADMIN, ("programme:audit",), None) == ("programme:audit",)
    assert granted_staff_scopes(Role.ADMIN, PROGRAMME_SCOPES, "programme:audit programme:curation") == (
        "programme:curation",
        "programme:audit",
    )


def test_the_fifth_failure_in_a_row_locks_for_a_while() -> None:
    failures = 0
    for _ in range(FAILED_LOGIN_LIMIT - 1):
        outcome = after_failed_login(failures, NOW)
        assert outcome.locked_until is None
        failures = outcome.failed_logins
    last = after_failed_login(failures, NOW)
    assert last.locked_until == NOW + LOCK_OUT
    assert locked(last.locked_until, NOW + LOCK_OUT / 2)
    assert not locked(last.locked_until, NOW + LOCK_OUT)
    assert not locked(None, NOW)


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "Ani", "long enough password", "email"),
        ("ani@kemnaker.go.id", " ", "long enough password", "name"),
        ("ani@kemnaker.go.id", "Ani", "short", "password"),
    ],
)
def test_new_staff_needs_an_email_a_name_and_a_long_password(email: str, name: str, password: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_new_staff(email, name, password)
    assert [p.field for p in refused.value.problems] == [field]
