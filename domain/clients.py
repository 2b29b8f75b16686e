"""OAuth clients: the scope catalogue, which scopes a client may hold, environments and client states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Final

from domain.errors import FieldProblem, InvalidStateTransition, ValidationFailed

PARTNER_SCOPES: tuple[str, ...] = (
    "courses:read",
    "courses:write",
    "vouchers:read",
    "vouchers:redeem",
    "enrollments:read",
    "learning:write",
    "certificates:write",
    "events:read",
    "webhooks:manage",
    "statements:read",
    "sandbox:simulate",
)
PROGRAMME_SCOPES: tuple[str, ...] = (
    "programme:partners",
    "programme:curation",
    "programme:participants",
    "programme:finance",
    "programme:audit",
)
ALL_SCOPES: tuple[str, ...] = PARTNER_SCOPES + PROGRAMME_SCOPES
# What each scope grants, as the docs' "Authorize" dialog and the authorization server metadata tell a developer.
SCOPE_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "courses:read": "Read your own courses and their schedules.",
    "courses:write": "Create, edit, submit and archive your own courses and schedules.",
    "vouchers:read": "Check a voucher before redeeming it.",
    "vouchers:redeem": "Redeem a voucher and void a redemption.",
    "enrollments:read": "List and read your enrollments and certificates.",
    "learning:write": "Record attendance and assessment, and complete an enrollment.",
    "certificates:write": "Issue and revoke certificates.",
    "events:read": "Walk the event feed.",
    "webhooks:manage": "Register, test and delete webhook endpoints and read their deliveries.",
    "statements:read": "Read your settlement statements.",
    "sandbox:simulate": "Sandbox helpers: test participants and vouchers, the test clock, reset (sandbox only).",
    "programme:partners": "Programme: onboard and suspend partners, issue, rotate and disable their clients.",
    "programme:curation": "Programme: approve, reject, suspend and reinstate courses.",
    "programme:participants": "Programme: enrol participants, sell vouchers, cancel, freeze and review.",
    "programme:finance": "Programme: statements, disbursements, payouts and incentives.",
    "programme:audit": "Programme: reports and the audit log (read-only).",
}
SANDBOX_ONLY_SCOPES = frozenset({"sandbox:simulate"})


class Environment(StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class ClientStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


def check_scopes(scopes: Iterable[str], *, for_partner: bool, environment: Environment) -> tuple[str, ...]:
    """The client's scopes in catalogue order, after the rules for who may hold what.

    A partner client can never hold a `programme:*` scope and a programme client holds only those;
    `sandbox:simulate` exists only for sandbox clients. Unknown or empty scope lists are refused.
    """
    wanted = list(scopes)
    problems: list[FieldProblem] = []
    unknown = sorted({s for s in wanted if s not in ALL_SCOPES})
    if unknown:
        problems.append(FieldProblem("scopes", f"Unknown scopes: {', '.join(unknown)}."))
    if not wanted:
        problems.append(FieldProblem("scopes", "At least one scope is required."))
    allowed = PARTNER_SCOPES if for_partner else PROGRAMME_SCOPES
    foreign = sorted({s for s in wanted if s in ALL_SCOPES and s not in allowed})
    if foreign:
        holder = "A partner client" if for_partner else "A programme client"
        problems.append(FieldProblem("scopes", f"{holder} cannot hold: {', '.join(foreign)}."))
    if environment != Environment.SANDBOX and SANDBOX_ONLY_SCOPES & set(wanted):
        problems.append(FieldProblem("scopes", "sandbox:simulate is only for sandbox clients."))
    if problems:
        raise ValidationFailed("The requested scopes are not allowed for this client.", problems=tuple(problems))
    return tuple(s for s in ALL_SCOPES if s in set(wanted))


def default_scopes(*, for_partner: bool, environment: Environment) -> tuple[str, ...]:
    """Every scope such a client may hold (used when a client is created without a scope list)."""
    if not for_partner:
        return PROGRAMME_SCOPES
    if environment == Environment.SANDBOX:
        return PARTNER_SCOPES
    return tuple(s for s in PARTNER_SCOPES if s not in SANDBOX_ONLY_SCOPES)


def granted_scopes(requested: str | None, held: Iterable[str]) -> tuple[str, ...] | None:
    """The scopes a token gets: the requested subset of `held`, or all of them when none are requested.

    None means the request asked for something the client does not hold (OAuth `invalid_scope`).
    """
    held_list = list(held)
    if requested is None or not requested.strip():
        return tuple(held_list)
    asked = set(requested.split())
    if not asked <= set(held_list):
        return None
    return tuple(s for s in held_list if s in asked)


def disable(current: ClientStatus) -> ClientStatus:
    """A disabled client; disabling is final (issue a new client instead)."""
    if current == ClientStatus.DISABLED:
        raise InvalidStateTransition("The client is already disabled.")
    return ClientStatus.DISABLED


def environment_accepted(app_env: str, client_environment: Environment) -> bool:
    """Whether a deployment running as `app_env` serves clients of `client_environment`.

    Production serves only production clients and a sandbox deployment only sandbox ones, so a sandbox
    credential can never reach production data; development serves both.
    """
    if app_env == "production":
        return client_environment == Environment.PRODUCTION
    if app_env == "sandbox":
        return client_environment == Environment.SANDBOX
    return True


# --- registered public keys (private_key_jwt) --------------------------------------------------------------------

PUBLIC_KEY_TYPES: Final = frozenset({"EC", "RSA", "OKP"})
PRIVATE_KEY_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
MAX_JWKS_KEYS: Final = 10


def jwks_problem(jwks: Mapping[str, Any]) -> str | None:
    """What is structurally wrong with a client's JWKS, or None: it must be {"keys": [...]} with 1 to 10 keys,
    each of a public key type, and none may carry a private member (a partner must never send a private key).

    Whether each key can actually be read is the caller's check, with a JOSE library, after this one passes.
    """
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys or len(keys) > MAX_JWKS_KEYS:
        return f'jwks must be {{"keys": [...]}} with 1 to {MAX_JWKS_KEYS} public keys'
    if any(not isinstance(k, dict) or k.get("kty") not in PUBLIC_KEY_TYPES for k in keys):
        return "every key needs kty EC, RSA or OKP"
    if any(PRIVATE_KEY_MEMBERS & set(k) for k in keys):
        return "jwks must hold public keys only; never send a private key"
    return None
