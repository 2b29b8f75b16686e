"""Certificates: when one may be issued, what its number may look like, revocation, and its credential claims.

The signed form is an Open Badges 3.0 `OpenBadgeCredential` (a W3C Verifiable Credential) in the VC-JWT
encoding of OB 3.0 §8.2: the credential sits in the `vc` claim, mirrored by `iss`, `sub`, `jti` and `nbf`.
This module only builds the claim set; signing belongs to the edge, which holds the keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from domain.courses import SCHEDULED_FORMATS
from domain.enrollments import EnrollmentStatus, iso_instant
from domain.errors import FieldProblem, InvalidStateTransition, NotCompleted, ValidationFailed

NUMBER_MAX_LENGTH: Final = 64
REVOCATION_REASON_MAX_LENGTH: Final = 500

CREDENTIAL_CONTEXT: Final = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
CREDENTIAL_TYPE: Final = ("VerifiableCredential", "OpenBadgeCredential")


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Revocation:
    """The outcome of revoking a certificate: its new status and the reason to record."""

    status: CertificateStatus
    reason: str


def check_can_issue(enrollment_status: EnrollmentStatus, has_certificate: bool) -> None:
    """Allow issuing a certificate only for a completed enrollment that has none yet.

    Not completed (active or cancelled) → NotCompleted; already certified → InvalidStateTransition (a retried
    issue is answered by the idempotency layer before it reaches this rule).
    """
    if enrollment_status is not EnrollmentStatus.COMPLETED:
        raise NotCompleted(f"The enrollment is {enrollment_status}; a certificate needs a completed enrollment.")
    if has_certificate:
        raise InvalidStateTransition("The enrollment already has a certificate.")


def check_certificate_number(number: str) -> None:
    """Accept a certificate number of 1 to 64 printable ASCII characters without surrounding spaces.

    The number is refused rather than trimmed: it is unique per partner and printed on paper, so the
    stored number must be exactly what the partner sent and will look up. ASCII only, so that look-alike
    letters from other scripts cannot make two numbers that read the same.
    """
    problem: str | None = None
    if not 1 <= len(number) <= NUMBER_MAX_LENGTH:
        problem = f"must be 1 to {NUMBER_MAX_LENGTH} characters"
    elif any(not " " <= char <= "~" for char in number):
        problem = "must contain only printable ASCII characters"
    elif number != number.strip():
        problem = "must not start or end with a space"
    if problem is not None:
        raise ValidationFailed(f"Certificate number {problem}.", problems=(FieldProblem("number", problem),))


def check_issue_time(issued_at: datetime, completed_at: datetime, now: datetime) -> None:
    """Accept `issued_at` only between the enrollment's completion and now (ValidationFailed otherwise)."""
    if issued_at > now:
        problem = "must not be in the future"
    elif issued_at < completed_at:
        problem = f"must not be before the completion at {iso_instant(completed_at)}"
    else:
        return
    raise ValidationFailed(f"issued_at {problem}.", problems=(FieldProblem("issued_at", problem),))


def revoke(status: CertificateStatus, reason: str) -> Revocation:
    """Revoke a valid certificate for a stated reason; a revoked one cannot be revoked again.

    Revoked → InvalidStateTransition; a blank or over-long reason → ValidationFailed. The reason is kept
    trimmed, because it is shown to whoever verifies the certificate.
    """
    if status is not CertificateStatus.VALID:
        raise InvalidStateTransition(f"The certificate is {status}; only a valid certificate can be revoked.")
    trimmed = reason.strip()
    if not 1 <= len(trimmed) <= REVOCATION_REASON_MAX_LENGTH:
        problem = f"must be 1 to {REVOCATION_REASON_MAX_LENGTH} characters, not blank"
        raise ValidationFailed(f"Revocation reason {problem}.", problems=(FieldProblem("reason", problem),))
    return Revocation(CertificateStatus.REVOKED, trimmed)


CERTIFICATE_ID_PREFIX = "crt_"


def certificate_urn(certificate_id: str | UUID) -> str:
    """The credential id (`jti`) of a certificate: its UUID as a `urn:uuid:` URN.

    Certificate ids are `crt_` and the 32 hex digits of a UUID (ids handed out earlier were bare UUIDs);
    anything else is a programming error and raises ValueError.
    """
    return UUID(str(certificate_id).removeprefix(CERTIFICATE_ID_PREFIX)).urn


def certificate_id_of(key: UUID) -> str:
    """The public id of the certificate stored under `key`: `crt_` and its hex."""
    return CERTIFICATE_ID_PREFIX + key.hex


def certificate_key(certificate_id: str) -> UUID | None:
    """The stored key of a public certificate id (`crt_…`, or a bare UUID as handed out before); None if neither."""
    try:
        return UUID(certificate_id.removeprefix(CERTIFICATE_ID_PREFIX))
    except ValueError:
        return None


def identity_hash(name: str, salt: str) -> str:
    """The Open Badges 3.0 IdentityHash of `name`: `sha256$` and the hex SHA-256 of the name followed by the salt.

    Whoever knows the earner's name (an employer reading a CV) can recompute it with the salt in the credential;
    whoever does not learns nothing from it.
    """
    return "sha256$" + hashlib.sha256((name + salt).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CertificateCredentialFacts:
    """What a certificate states, as the credential claims name it.

    `issuer_id`, `subject_id` and `achievement_id` are URIs chosen by the edge (it knows the public base URL);
    `participant_name` is the full name as printed on the certificate, never the masked one. With an
    `identity_salt` the credential is the public one: the name appears only as its salted hash.
    """

    certificate_id: str | UUID
    number: str
    issuer_id: str
    partner_name: str
    subject_id: str
    participant_name: str
    achievement_id: str
    course_title: str
    course_format: str
    course_hours: int
    completed_at: datetime
    issued_at: datetime
    identity_salt: str | None = None


def _earner(name: str, salt: str | None) -> dict[str, object]:
    """How the credential names its earner: in plain text for the issuing partner, salted and hashed in public."""
    if salt is None:
        # The OB 3.0 way to name the earner in plain text; `name` alone is outside its AchievementSubject.
        identity = {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
        return {"name": name, "identifier": [identity]}
    hashed = {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": True,
        "identityHash": identity_hash(name, salt),
        "salt": salt,
    }
    return {"identifier": [hashed]}


def credential_claims(facts: CertificateCredentialFacts) -> dict[str, object]:
    """The JWT claim set of the certificate's signed credential, ready to sign as a compact JWS.

    `iss`, `sub` and `jti` repeat the credential's issuer, subject and id, and `nbf`/`iat` its `validFrom`
    (OB 3.0 §8.2.4), so a verifier can check them against each other. The certificate number travels as
    `credentialSubject.licenseNumber`: OB 3.0 has no credential-level identifier, and that property is
    defined as "the license number that was issued with this credential".
    """
    credential_id = certificate_urn(facts.certificate_id)
    # NumericDate has whole seconds; `validFrom` is cut to match so a verifier finds them equal.
    issued_at = facts.issued_at.replace(microsecond=0)
    issued = int(issued_at.timestamp())
    attended = "every session" if facts.course_format in SCHEDULED_FORMATS else "every module"
    credential: dict[str, object] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": credential_id,
        "type": list(CREDENTIAL_TYPE),
        "name": facts.course_title,
        "issuer": {"id": facts.issuer_id, "type": ["Profile"], "name": facts.partner_name},
        "validFrom": iso_instant(issued_at),
        "credentialSubject": {
            "id": facts.subject_id,
            "type": ["AchievementSubject"],
            **_earner(facts.participant_name, facts.identity_salt),
            "licenseNumber": facts.number,
            "activityEndDate": iso_instant(facts.completed_at),
            "achievement": {
                "id": facts.achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": facts.course_title,
                "description": f"Completion of the {facts.course_hours}-hour course {facts.course_title} "
                f"by {facts.partner_name}.",
                "criteria": {
                    "narrative": f"Attended {attended} of the {facts.course_hours}-hour course, passed its final "
                    "assessment, and completed it no sooner than its hours allow at the daily maximum."
                },
            },
        },
    }
    return {
        "iss": facts.issuer_id,
        "sub": facts.subject_id,
        "jti": credential_id,
        "nbf": issued,
        "iat": issued,
        "vc": credential,
    }
