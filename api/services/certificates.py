"""Certificates: issued by the partner for a completed enrollment, signed as a verifiable credential (JWS),
revocable, and verifiable by anyone by id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from joserfc import jwt

from api.auth.signing_keys import ALGORITHM, SigningKeyRing
from api.http.dependencies import Connection
from api.schemas.certificates import CertificateIssue, CertificateOut, Verification
from api.services import audit, events, incentives
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
c.id AS course_id, pt.name AS partner_name
"""
CERTIFICATE_FROM = """
FROM certificates x
JOIN enrollments e ON e.id = x.enrollment_id
JOIN participants p ON p.id = e.participant_id
JOIN courses c ON c.id = e.course_id
JOIN partners pt ON pt.id = x.partner_id
"""
SELECT_CERTIFICATE = f"SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.id = $1"
LOCK_PARTNER_CERTIFICATE = f"""
SELECT {CERTIFICATE_COLUMNS} {CERTIFICATE_FROM} WHERE x.enrollment_id = $1 AND x.partner_id = $2 FOR UPDATE OF x
"""
REVOKE = """
UPDATE certificates SET status = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE id = $1
"""


def _out(row: asyncpg.Record) -> CertificateOut:
    return CertificateOut(
        id=str(row["id"]),
        enrollment_id=row["enrollment_id"],
        number=row["number"],
        issued_at=row["issued_at"],
        url=row["url"],
        status=row["status"],
        revoked_at=row["revoked_at"],
        credential=row["credential"],
        verification_url=row["verification_url"],
    )


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
    certificate_id = uuid.uuid4()
    base = public_url.rstrip("/")
    claims = rules.credential_claims(
        rules.CertificateCredentialFacts(
            certificate_id=certificate_id,
            number=body.number,
            issuer_id=f"{base}/partners/{partner_id}",
            partner_name=row["partner_name"],
            subject_id=f"{base}/participants/{row['participant_id']}",
            participant_name=row["participant_name"],
            achievement_id=f"{base}/v1/catalogue/courses/{row['course_id']}",
            course_title=row["course_title"],
            course_format=row["course_format"],
            course_hours=row["course_hours"],
            completed_at=row["completed_at"],
            issued_at=body.issued_at,
        )
    )
    verification_url = f"{base}/v1/certificates/{certificate_id}/verification"
    await keys.refresh_on(conn)  # sign with the key that is active now
    credential, signing_kid = sign_credential(keys, claims), keys.active_kid
    try:
        async with conn.transaction():
            await conn.execute(
                INSERT_CERTIFICATE,
                certificate_id,
                enrollment_id,
                partner_id,
                body.number,
                body.issued_at,
                body.url,
                credential,
                verification_url,
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
    created = await conn.fetchrow(SELECT_CERTIFICATE, certificate_id)
    assert created is not None
    out = _out(created)
    await conn.execute("UPDATE enrollments SET updated_at = now() WHERE id = $1", enrollment_id)
    await audit.record(conn, actor, "certificate.issued", "certificate", out.id, after={"number": out.number})
    await events.emit(conn, partner_id, "certificate.issued", "certificate", out.id, out)
    await incentives.decide(conn, actor, row["participant_id"])
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


async def verification(conn: Connection, certificate_id: str) -> Verification:
    """What anyone may learn about a certificate: valid or revoked, what and who, and the signed credential."""
    try:
        parsed = uuid.UUID(certificate_id)
    except ValueError:
        raise NotFound("No such certificate.") from None
    row = await conn.fetchrow(SELECT_CERTIFICATE, parsed)
    if row is None:
        raise NotFound("No such certificate.")
    return Verification(
        certificate_id=str(row["id"]),
        status=row["status"],
        number=row["number"],
        course_id=row["course_id"],
        course_title=row["course_title"],
        partner_name=row["partner_name"],
        participant_name_masked=mask_name(row["participant_name"]),
        completed_at=row["completed_at"],
        issued_at=row["issued_at"],
        revoked_at=row["revoked_at"],
        credential=row["credential"],
        jwks_uri="/.well-known/jwks.json",
    )
