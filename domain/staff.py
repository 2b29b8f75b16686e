"""Programme staff: roles and the scopes each grants, password rules, and the lock-out after failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.clients import PROGRAMME_SCOPES
from domain.errors import FieldProblem, ValidationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
FAILED_LOGIN_LIMIT = 5
LOCK_OUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)


class Role(StrEnum):
    CURATOR = "curator"
    PARTNER_MANAGER = "partner_manager"
    SUPPORT = "support"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_SCOPES: dict[Role, tuple[str, ...]] = {
    Role.CURATOR: ("programme:curation",),
    Role.PARTNER_MANAGER: ("programme:partners",),
    Role.SUPPORT: ("programme:participants",),
    Role.FINANCE: ("programme:finance",),
    Role.AUDITOR: ("programme:audit",),
    Role.ADMIN: PROGRAMME_SCOPES,
}


def role_scopes(role: Role) -> tuple[str, ...]:
    """The programme scopes a role may ever act with (the auditor's one is read-only by the API's own routes)."""
    return ROLE_SCOPES[role]


def granted_staff_scopes(role: Role, client_scopes: tuple[str, ...], requested: str | None) -> tuple[str, ...]:
    """What a token acting for a staff member carries: the role's scopes ∩ the portal client's ∩ the request.

    An empty result means nothing may be granted (the caller refuses with `invalid_scope`).
    """
    allowed = [s for s in role_scopes(role) if s in client_scopes]
    if requested is None or not requested.strip():
        return tuple(allowed)
    wanted = set(requested.split())
    return tuple(s for s in allowed if s in wanted)


def check_new_staff(email: str, name: str, password: str) -> None:
    """Refuse an unusable e-mail, an empty name or a weak password, naming each field."""
    problems: list[FieldProblem] = []
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        problems.append(FieldProblem("email", "Give a valid e-mail address."))
    if not name.strip() or len(name) > 200:
        problems.append(FieldProblem("name", "Give a name of 1 to 200 characters."))
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters."))
    if problems:
        raise ValidationFailed("The staff member cannot be created.", problems=tuple(problems))


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The counters after one failed login: how many failures in a row, and until when the account is locked."""

    failed_logins: int
    locked_until: datetime | None


def after_failed_login(failed_logins: int, now: datetime) -> LoginOutcome:
    """Count one more failure; the fifth in a row locks the account for LOCK_OUT and restarts the count."""
    failures = failed_logins + 1
    if failures >= FAILED_LOGIN_LIMIT:
        return LoginOutcome(0, now + LOCK_OUT)
    return LoginOutcome(failures, None)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while a lock-out lasts."""
    return locked_until is not None and locked_until > now
