"""Certificates: issued by the partner for a completed enrollment, signed as a verifiable credential (JWS),
revocable, and verifiable by anyone by id or by the partner's certificate number.

Each certificate has two signed credentials: the full one (the earner's name in plain text), signed at issue
and shown to the issuing partner only, and the public one, signed afresh for each verification with a new salt,
which names the earner only by a salted hash (Open Badges 3.0 IdentityHash): whoever holds the link learns no
more than the masked name. Ids are `crt_` and the hex of the stored UUID; bare UUIDs handed out earlier resolve.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from joserfc import jwt

from api.auth.signing_keys import ALGORITHM, SigningKeyRing
from api.http.dependencies import Connection
from api.schemas.certificates import CertificateIssue, CertificateOut, IssuerProfile, Verification
from api.services import audit, events, incentives, participants
from api.services.audit import Actor
from domain import certificates as rules
from domain.enrollments import EnrollmentStatus
from domain.errors import CertificateNumberTaken, InvalidStateTransition, NotFound
from domain.participants import mask_name

CREDENTIAL_TYPE = "vc+jwt"
SELECT_FOR_ISSUE = """
SELECT e.id, e.status, e.completed_at, e.participant_id, e.course_id, p.name AS participant_name,
       c.title AS course_title, c.format AS course_format, c.hours AS course_hours, pt.name AS partner_name,
       (SELECT 1 FROM certificates x WHERE x.enrollment_id = e.id) IS NOT NULL AS has_certificate
  FROM enrollments e
  JOIN participants p ON p.id = e.participant_id
  JOIN courses c ON c.id = e.course_id
  JOIN partners pt ON pt.id = e.partner_id
 WHERE e.id = $1 AND e.partner_id = $2
   FOR UPDATE OF e
"""
INSERT_CERTIFICATE = """
INSERT INTO certificates
       (id, enrollment_id, partner_id, number, issued_at, url, credential, verification_url, signing_kid)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
CERTIFICATE_COLUMNS = """
x.id, x.enrollment_id, x.partner_id, x.number, x.issued_at, x.url, x.status, x.revoked_at, x.revocation_reason,
x.credential, x.verification_url, e.completed_at, p.name AS participant_name, c.title AS course_title,
c.id AS course_id, c.format AS course_format, c.hours AS course_hours, pt.name AS partner_name
"""
CERTIFICATE_FROM = """
FROM certificates x
JOIN enrollments e ON e.id = x.enrollment_id
JOIN participants p ON p.id = e.participant_id
JOIN courses c ON c.id = e.course_id
JOIN partners pt ON pt.id = x.partner_id
"""
SELECT_CERTIFICATE = f"SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.id = $1"
SELECT_PARTNER_CERTIFICATE = f"SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.id = $1 AND x.partner_id = $2"
SELECT_CERTIFICATE_BY_NUMBER = f"""
SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.partner_id = $1 AND x.number = $2
"""
SELECT_ISSUER = "SELECT id, name FROM partners WHERE id = $1"
LOCK_PARTNER_CERTIFICATE = f"""
SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.enrollment_id = $1 AND x.partner_id = $2 FOR UPDATE OF x
"""
REVOKE = """
UPDATE certificates SET status = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE id = $1
"""


def _out(row: asyncpg.Record) -> CertificateOut:
    return CertificateOut(
        id=rules.certificate_id_of(row["id"]),
        enrollment_id=row["enrollment_id"],
        number=row["number"],
        issued_at=row["issued_at"],
        url=row["url"],
        status=row["status"],
        revoked_at=row["revoked_at"],
        credential=row["credential"],
        verification_url=row["verification_url"],
    )


def issuer_url(base: str, partner_id: str) -> str:
    """The credential's issuer id: the partner's public issuer profile on this API."""
    return f"{base}/v1/partners/{partner_id}"


def verification_url(base: str, certificate_id: str) -> str:
    """The public verification of a certificate; also the credential's subject id (it shows the masked earner)."""
    return f"{base}/v1/certificates/{certificate_id}/verification"


def jwks_url(base: str) -> str:
    return f"{base}/.well-known/jwks.json"


def _facts(
    base: str, certificate_id: str, partner_id: str, number: str, issued_at: datetime, row: asyncpg.Record
) -> rules.CertificateCredentialFacts:
    return rules.CertificateCredentialFacts(
        certificate_id=certificate_id,
        number=number,
        issuer_id=issuer_url(base, partner_id),
        partner_name=row["partner_name"],
        subject_id=verification_url(base, certificate_id),
        participant_name=row["participant_name"],
        achievement_id=f"{base}/v1/catalogue/courses/{row['course_id']}",
        course_title=row["course_title"],
        course_format=row["course_format"],
        course_hours=row["course_hours"],
        completed_at=row["completed_at"],
        issued_at=issued_at,
    )


def sign_public_credential(keys: SigningKeyRing, facts: rules.CertificateCredentialFacts) -> str:
    """The public credential: the same claims, the earner named only by a freshly salted hash."""
    salted = dataclasses.replace(facts, identity_salt=secrets.token_hex(16))
    return sign_credential(keys, rules.credential_claims(salted))


def sign_credential(keys: SigningKeyRing, claims: dict[str, Any]) -> str:
    """A compact JWS of the credential, signed with the active key (its `kid` is in the public JWKS)."""
    return jwt.encode({"alg": ALGORITHM, "typ": CREDENTIAL_TYPE}, claims, keys.signing_key_set())


async def issue(
    conn: Connection,
    actor: Actor,
    keys: SigningKeyRing,
    public_url: str,
    partner_id: str,
    enrollment_id: str,
    body: CertificateIssue,
    now: datetime,
) -> CertificateOut:
    """Issue the certificate of a completed enrollment: unique number per partner, signed credential, event."""
    row = await conn.fetchrow(SELECT_FOR_ISSUE, enrollment_id, partner_id)
    if row is None:
        raise NotFound("No such enrollment.")
    rules.check_can_issue(EnrollmentStatus(row["status"]), row["has_certificate"])
    rules.check_certificate_number(body.number)
    rules.check_issue_time(body.issued_at, row["completed_at"], now)
    key = uuid.uuid4()
    certificate_id = rules.certificate_id_of(key)
    base = public_url.rstrip("/")
    facts = _facts(base, certificate_id, partner_id, body.number, body.issued_at, row)
    await keys.refresh_on(conn)  # sign with the key that is active now
    credential, signing_kid = sign_credential(keys, rules.credential_claims(facts)), keys.active_kid
    try:
        async with conn.transaction():
            await conn.execute(
                INSERT_CERTIFICATE,
                key,
                enrollment_id,
                partner_id,
                body.number,
                body.issued_at,
                body.url,
                credential,
                verification_url(base, certificate_id),
                signing_kid,
            )
    except asyncpg.UniqueViolationError as exc:
        # `has_certificate` above was read before the enrollment's row lock was granted: a concurrent issue for
        # the same enrollment meets the constraint here instead, and gets the answer the rule gives.
        if exc.constraint_name == "certificates_one_per_enrollment":
            raise InvalidStateTransition("The enrollment already has a certificate.") from exc
        if exc.constraint_name == "certificates_number_per_partner":
            raise CertificateNumberTaken(f"You already issued certificate number {body.number!r}.") from exc
        raise
    created = await conn.fetchrow(SELECT_CERTIFICATE, key)
    assert created is not None
    out = _out(created)
    await conn.execute("UPDATE enrollments SET updated_at = $2 WHERE id = $1", enrollment_id, now)
    await audit.record(conn, actor, "certificate.issued", "certificate", out.id, after={"number": out.number})
    await events.emit(conn, partner_id, "certificate.issued", "certificate", out.id, out)
    await incentives.decide(conn, actor, row["participant_id"])
    await participants.complete_if_due(conn, actor, row["participant_id"], now)
    return out


async def revoke(
    conn: Connection, actor: Actor, partner_id: str, enrollment_id: str, reason: str, now: datetime
) -> CertificateOut:
    """The issuing partner withdraws a certificate; verification shows it revoked from now on."""
    row = await conn.fetchrow(LOCK_PARTNER_CERTIFICATE, enrollment_id, partner_id)
    if row is None:
        raise NotFound("This enrollment has no certificate.")
    revocation = rules.revoke(rules.CertificateStatus(row["status"]), reason)
    await conn.execute(REVOKE, row["id"], now, revocation.reason)
    updated = await conn.fetchrow(SELECT_CERTIFICATE, row["id"])
    assert updated is not None
    out = _out(updated)
    await audit.record(
        conn,
        actor,
        "certificate.revoked",
        "certificate",
        out.id,
        before={"status": "valid"},
        after={"status": "revoked", "reason": revocation.reason},
    )
    await events.emit(conn, partner_id, "certificate.revoked", "certificate", out.id, out)
    return out


async def verification(conn: Connection, keys: SigningKeyRing, public_url: str, certificate_id: str) -> Verification:
    """What anyone may learn about a certificate: valid or revoked, what and who (masked), the public credential."""
    key = rules.certificate_key(certificate_id)
    row = None if key is None else await conn.fetchrow(SELECT_CERTIFICATE, key)
    return await _verification(conn, keys, public_url, row)


async def verification_by_number(
    conn: Connection, keys: SigningKeyRing, public_url: str, partner_id: str, number: str
) -> Verification:
    """The same, found by the number printed on the certificate (numbers are unique per partner)."""
    row = await conn.fetchrow(SELECT_CERTIFICATE_BY_NUMBER, partner_id, number)
    return await _verification(conn, keys, public_url, row)


async def _verification(
    conn: Connection, keys: SigningKeyRing, public_url: str, row: asyncpg.Record | None
) -> Verification:
    if row is None:
        raise NotFound("No such certificate.")
    await keys.refresh_on(conn)  # the public credential is signed now, with the key that is active now
    base = public_url.rstrip("/")
    certificate_id = rules.certificate_id_of(row["id"])
    facts = _facts(base, certificate_id, row["partner_id"], row["number"], row["issued_at"], row)
    return Verification(
        certificate_id=certificate_id,
        status=row["status"],
        number=row["number"],
        course_id=row["course_id"],
        course_title=row["course_title"],
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        participant_name_masked=mask_name(row["participant_name"]),
        completed_at=row["completed_at"],
        issued_at=row["issued_at"],
        revoked_at=row["revoked_at"],
        credential=sign_public_credential(keys, facts),
        jwks_uri=jwks_url(base),
    )


async def get_for_partner(conn: Connection, partner_id: str, certificate_id: str) -> CertificateOut:
    """The issuing partner's view: the full credential with the earner's name. Another partner's is 404."""
    key = rules.certificate_key(certificate_id)
    row = None if key is None else await conn.fetchrow(SELECT_PARTNER_CERTIFICATE, key, partner_id)
    if row is None:
        raise NotFound("No such certificate.")
    return _out(row)


async def issuer_profile(conn: Connection, public_url: str, partner_id: str) -> IssuerProfile:
    """The Open Badges issuer Profile a credential's `issuer.id` points to."""
    row = await conn.fetchrow(SELECT_ISSUER, partner_id)
    if row is None:
        raise NotFound("No such issuer.")
    return IssuerProfile(id=issuer_url(public_url.rstrip("/"), row["id"]), type=["Profile"], name=row["name"])
