"""Programme staff: creation, login (password + TOTP, lock-out), logout, and the token exchange for the portal.

Everything that limits what a staff member can do is decided here, on the API side: the role's scopes, the
lock-out, the TOTP replay check and the binding of a session to the portal client that logged the person in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.auth.client_secrets import SecretHasher
from api.auth.oauth_server import PresentedCredentials
from api.auth.staff_tokens import (
    ACCESS_TOKEN_TYPE,
    STAFF_SESSION_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    StaffAccessTokenGenerator,
    StaffUser,
    accepted_totp_step,
    decrypt_totp_secret,
    encrypt_totp_secret,
    new_session_token,
    new_totp_secret,
    provisioning_uri,
    session_token_digest,
)
from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.schemas.staff import StaffLogin, StaffMember, StaffSession
from api.services import audit
from api.services.audit import Actor
from api.services.oauth import ClientAuthenticator, OAuthResponse
from domain import staff as rules
from domain.errors import FieldProblem, ValidationFailed

INSERT_STAFF = """
INSERT INTO staff (id, email, name, role, password_hash, totp_secret_encrypted) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING RETURNING id
"""
LOCK_STAFF_BY_EMAIL = """
SELECT id, email, name, role, status, password_hash, totp_secret_encrypted, totp_last_step, failed_logins,
       locked_until
  FROM staff WHERE lower(email) = lower($1) FOR UPDATE
"""
RECORD_FAILED_LOGIN = "UPDATE staff SET failed_logins = $2, locked_until = $3, updated_at = now() WHERE id = $1"
RECORD_LOGIN = """
WITH s AS (UPDATE staff SET failed_logins = 0, locked_until = NULL, totp_last_step = $2, updated_at = now()
            WHERE id = $1)
INSERT INTO staff_sessions (id, staff_id, client_id, token_sha256, expires_at) VALUES ($3, $1, $4, $5, $6)
"""
SELECT_SESSION = """
SELECT s.id AS session_id, s.client_id, s.expires_at, s.revoked_at, t.id, t.role, t.status
  FROM staff_sessions s JOIN staff t ON t.id = s.staff_id
 WHERE s.token_sha256 = $1
"""
REVOKE_SESSION = """
UPDATE staff_sessions SET revoked_at = now()
 WHERE token_sha256 = $1 AND client_id = $2 AND revoked_at IS NULL RETURNING id, staff_id
"""
INVALID_CREDENTIALS = "The e-mail, password or one-time code is not right."


@dataclass(frozen=True, slots=True)
class CreatedStaff:
    """A new staff member with the TOTP secret, shown once (to enrol an authenticator app)."""

    id: str
    email: str
    name: str
    role: str
    totp_secret: str
    otpauth_uri: str


def _member(row: Any) -> StaffMember:
    role = rules.Role(row["role"])
    return StaffMember(
        id=row["id"], email=row["email"], name=row["name"], role=role.value, scopes=list(rules.role_scopes(role))
    )


async def create_staff(
    conn: Connection,
    actor: Actor,
    hasher: SecretHasher,
    kek: bytes,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
) -> CreatedStaff:
    """A new active staff member; the e-mail is unique regardless of case."""
    rules.check_new_staff(email, name, password)
    try:
        staff_role = rules.Role(role)
    except ValueError:
        raise ValidationFailed(
            "The staff member cannot be created.",
            problems=(FieldProblem("role", f"One of {', '.join(r.value for r in rules.Role)}."),),
        ) from None
    staff_id = new_id("stf")
    secret = new_totp_secret()
    created = await conn.fetchval(
        INSERT_STAFF,
        staff_id,
        email,
        name,
        staff_role.value,
        await hasher.hash(password),
        encrypt_totp_secret(kek, staff_id, secret),
    )
    if created is None:
        raise ValidationFailed(
            "The staff member cannot be created.",
            problems=(FieldProblem("email", "A staff member with this e-mail exists."),),
        )
    await audit.record(conn, actor, "staff.created", "staff", staff_id, after={"email": email, "role": role})
    return CreatedStaff(staff_id, email, name, staff_role.value, secret, provisioning_uri(secret, email))


async def log_in(
    conn: Connection, actor: Actor, hasher: SecretHasher, kek: bytes, client_id: str, data: StaffLogin, now: datetime
) -> StaffSession:
    """Check the password and the TOTP code; the fifth failure in a row locks the account for a while.

    Runs its own transaction so that a failure is recorded (and audited) even though the request is refused.
    """
    async with conn.transaction():
        row = await conn.fetchrow(LOCK_STAFF_BY_EMAIL, data.email)
        if row is not None and rules.locked(row["locked_until"], now):
            retry = max(1, int((row["locked_until"] - now).total_seconds()))
            refusal: ApiError | None = ApiError(
                423, "staff_locked", "Too many failed logins: the account is locked for a while.",
                title="Account locked", headers={"Retry-After": str(retry)},
            )  # fmt: skip
        else:
            refusal = None
        # The hash is checked even for an unknown e-mail or a locked account, so timing tells nothing.
        password_ok = await hasher.matches(row["password_hash"] if row else None, data.password)
        if refusal is not None:
            pass
        elif row is None:
            refusal = ApiError(401, "invalid_staff_credentials", INVALID_CREDENTIALS, title="Login failed")
        else:
            step = None
            if password_ok and row["status"] == "active":
                secret = decrypt_totp_secret(kek, row["id"], row["totp_secret_encrypted"])
                step = accepted_totp_step(secret, data.otp, now, row["totp_last_step"])
            if step is None:
                outcome = rules.after_failed_login(row["failed_logins"], now)
                await conn.execute(RECORD_FAILED_LOGIN, row["id"], outcome.failed_logins, outcome.locked_until)
                await audit.record(
                    conn, actor, "staff.login_failed", "staff", row["id"],
                    after={"locked_until": outcome.locked_until},
                )  # fmt: skip
                refusal = ApiError(401, "invalid_staff_credentials", INVALID_CREDENTIALS, title="Login failed")
            else:
                token, digest = new_session_token()
                expires_at = now + rules.SESSION_LIFETIME
                await conn.execute(RECORD_LOGIN, row["id"], step, new_id("sss"), client_id, digest, expires_at)
                await audit.record(conn, actor, "staff.logged_in", "staff", row["id"])
                return StaffSession(session_token=token, expires_at=expires_at, staff=_member(row))
    assert refusal is not None
    raise refusal


async def log_out(conn: Connection, actor: Actor, client_id: str, session_token: str) -> None:
    """End a staff session of this portal client (unknown or already ended: nothing to do)."""
    ended = await conn.fetchrow(REVOKE_SESSION, session_token_digest(session_token), client_id)
    if ended is not None:
        await audit.record(conn, actor, "staff.logged_out", "staff", ended["staff_id"])


def _exchange_error(error: str, description: str) -> OAuthResponse:
    return OAuthResponse(400, {"error": error, "error_description": description}, {"Cache-Control": "no-store"})


async def exchange(
    conn: Connection,
    authenticator: ClientAuthenticator,
    presented: PresentedCredentials,
    url: str,
    form: dict[str, str],
    headers: dict[str, str],
    request_id: str,
    address: str,
) -> OAuthResponse:
    """RFC 8693: the portal client trades a staff session token for an access token acting for that person.

    The token's `sub` is the staff member, `act.sub` the portal client, and its scopes the role's scopes ∩ the
    client's ∩ the requested ones; nothing the portal sends can widen them.
    """
    _, caller, refusal = await authenticator.authenticate(
        conn, presented, url, form, headers, request_id, address, issue_token=False
    )
    if caller is None:
        assert refusal is not None
        return refusal
    if caller.credentials.partner_id is not None:
        return _exchange_error("unauthorized_client", "Only a programme client may act for staff.")
    if form.get("subject_token_type") != STAFF_SESSION_TOKEN_TYPE or not form.get("subject_token"):
        return _exchange_error("invalid_request", f"subject_token_type must be {STAFF_SESSION_TOKEN_TYPE}.")
    if form.get("requested_token_type", ACCESS_TOKEN_TYPE) != ACCESS_TOKEN_TYPE:
        return _exchange_error("invalid_request", "Only access tokens are issued.")
    now = datetime.now(UTC)
    row = await conn.fetchrow(SELECT_SESSION, session_token_digest(form["subject_token"]))
    if (
        row is None
        or row["client_id"] != caller.get_client_id()
        or row["revoked_at"] is not None
        or row["expires_at"] <= now
        or row["status"] != "active"
    ):
        return _exchange_error("invalid_grant", "The staff session is unknown, ended or not this client's.")
    scopes = rules.granted_staff_scopes(rules.Role(row["role"]), caller.credentials.scopes, form.get("scope"))
    if not scopes:
        return _exchange_error("invalid_scope", "The staff member's role grants none of the requested scopes.")
    generator = StaffAccessTokenGenerator(authenticator.settings, authenticator.keys)
    token = generator.generate(
        TOKEN_EXCHANGE, caller, StaffUser(row["id"]), " ".join(scopes), include_refresh_token=False
    )
    body = {**token, "issued_token_type": ACCESS_TOKEN_TYPE}
    return OAuthResponse(200, body, {"Cache-Control": "no-store"})
