"""Certificates: issuing, numbers, issue time, revocation, and the claims of the signed credential."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.certificates import (
    CertificateCredentialFacts,
    CertificateStatus,
    certificate_urn,
    check_can_issue,
    check_certificate_number,
    check_issue_time,
    credential_claims,
    identity_hash,
    revoke,
)
from domain.enrollments import EnrollmentStatus
from domain.errors import InvalidStateTransition, NotCompleted, ValidationFailed

COMPLETED_AT = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
CERTIFICATE_ID = "3f2b8c1e-4d5a-4e6f-9a7b-8c9d0e1f2a3b"


# --- issuing ------------------------------------------------------------------------------------------------


def test_a_completed_enrollment_without_certificate_may_be_certified() -> None:
    check_can_issue(EnrollmentStatus.COMPLETED, has_certificate=False)


@pytest.mark.parametrize("status", [EnrollmentStatus.ACTIVE, EnrollmentStatus.CANCELLED])
@pytest.mark.parametrize("has_certificate", [False, True])
def test_only_completed_enrollments_are_certified(status: EnrollmentStatus, has_certificate: bool) -> None:
    with pytest.raises(NotCompleted):
        check_can_issue(status, has_certificate=has_certificate)


def test_a_second_certificate_is_refused() -> None:
    with pytest.raises(InvalidStateTransition):
        check_can_issue(EnrollmentStatus.COMPLETED, has_certificate=True)


@pytest.mark.parametrize(
    "number",
    ["1", "PRK/2024/000123", "CERT-ABC 42", "~!@#$%^&*()_+", "X" * 64],
    ids=["one-char", "slashes", "inner-space", "punctuation", "64-chars"],
)
def test_certificate_numbers_accepted(number: str) -> None:
    check_certificate_number(number)


@pytest.mark.parametrize(
    "number",
    ["", "X" * 65, " PRK-1", "PRK-1 ", "PRK-\n1", "PRK-\t1", "PRK-\x7f", "SERTIFIKAT-№1", "PRK-\uff11"],
    ids=["empty", "65-chars", "leading-space", "trailing-space", "newline", "tab", "delete", "non-ascii", "fullwidth"],
)
def test_certificate_numbers_refused(number: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_certificate_number(number)
    assert [p.field for p in caught.value.problems] == ["number"]


@pytest.mark.parametrize(
    ("issued_at", "accepted"),
    [
        (COMPLETED_AT - timedelta(seconds=1), False),
        (COMPLETED_AT, True),
        (COMPLETED_AT + timedelta(days=1), True),
        (COMPLETED_AT + timedelta(days=1, seconds=1), False),
    ],
    ids=["before-completion", "at-completion", "now", "future"],
)
def test_issue_time_lies_between_completion_and_now(issued_at: datetime, accepted: bool) -> None:
    now = COMPLETED_AT + timedelta(days=1)
    if accepted:
        check_issue_time(issued_at, COMPLETED_AT, now)
    else:
        with pytest.raises(ValidationFailed) as caught:
            check_issue_time(issued_at, COMPLETED_AT, now)
        assert [p.field for p in caught.value.problems] == ["issued_at"]


# --- revocation ---------------------------------------------------------------------------------------------


def test_a_valid_certificate_is_revoked_with_its_reason() -> None:
    revocation = revoke(CertificateStatus.VALID, "  Voucher flagged as fraudulent.  ")
    assert revocation.status is CertificateStatus.REVOKED
    assert revocation.reason == "Voucher flagged as fraudulent."


def test_a_revoked_certificate_cannot_be_revoked_again() -> None:
    with pytest.raises(InvalidStateTransition):
        revoke(CertificateStatus.REVOKED, "again")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501], ids=["empty", "blank", "too-long"])
def test_revocation_needs_a_reason(reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        revoke(CertificateStatus.VALID, reason)
    assert [p.field for p in caught.value.problems] == ["reason"]


# --- credential claims --------------------------------------------------------------------------------------

FACTS = CertificateCredentialFacts(
    certificate_id=CERTIFICATE_ID,
    number="PRK/2024/000123",
    issuer_id="https://api.example.test/v1/partners/partner-7",
    partner_name="Skill Academy",
    subject_id="urn:uuid:0b6c1f7e-5a43-4f1a-8c2e-0e7b9f3d2a11",
    participant_name="Siti Nurhaliza Rahmawati",
    achievement_id="https://api.example.test/v1/catalogue/courses/course-42",
    course_title="Digital Marketing for Small Business",
    course_format="webinar",
    course_hours=15,
    completed_at=COMPLETED_AT,
    issued_at=datetime(2024, 3, 6, 9, 30, 15, 250000, tzinfo=UTC),
)


def test_claims_mirror_the_credential_as_vc_jwt_requires() -> None:
    claims = credential_claims(FACTS)
    vc = claims["vc"]
    assert isinstance(vc, dict)
    assert claims["iss"] == vc["issuer"]["id"] == FACTS.issuer_id
    assert claims["sub"] == vc["credentialSubject"]["id"] == FACTS.subject_id
    assert claims["jti"] == vc["id"] == f"urn:uuid:{CERTIFICATE_ID}"
    issued = int(datetime(2024, 3, 6, 9, 30, 15, tzinfo=UTC).timestamp())
    assert claims["nbf"] == claims["iat"] == issued
    assert vc["validFrom"] == "2024-03-06T09:30:15Z"


def test_claims_are_an_open_badges_3_credential() -> None:
    vc = credential_claims(FACTS)["vc"]
    assert vc == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{CERTIFICATE_ID}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Digital Marketing for Small Business",
        "issuer": {
            "id": "https://api.example.test/v1/partners/partner-7",
            "type": ["Profile"],
            "name": "Skill Academy",
        },
        "validFrom": "2024-03-06T09:30:15Z",
        "credentialSubject": {
            "id": "urn:uuid:0b6c1f7e-5a43-4f1a-8c2e-0e7b9f3d2a11",
            "type": ["AchievementSubject"],
            "name": "Siti Nurhaliza Rahmawati",
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": "Siti Nurhaliza Rahmawati",
                }
            ],
            "licenseNumber": "PRK/2024/000123",
            "activityEndDate": "2024-03-05T14:00:00Z",
            "achievement": {
                "id": "https://api.example.test/v1/catalogue/courses/course-42",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Digital Marketing for Small Business",
                "description": "Completion of the 15-hour course Digital Marketing for Small Business "
                "by Skill Academy.",
                "criteria": {
                    "narrative": "Attended every session of the 15-hour course, passed its final assessment, and "
                    "completed it no sooner than its hours allow at the daily maximum."
                },
            },
        },
    }


def test_self_paced_criteria_speak_of_modules() -> None:
    vc = credential_claims(dataclasses.replace(FACTS, course_format="self_paced"))["vc"]
    assert isinstance(vc, dict)
    assert vc["credentialSubject"]["achievement"]["criteria"]["narrative"].startswith("Attended every module")


def test_the_full_name_is_in_the_credential_unmasked() -> None:
    vc = credential_claims(FACTS)["vc"]
    assert isinstance(vc, dict)
    assert vc["credentialSubject"]["name"] == "Siti Nurhaliza Rahmawati"


def test_certificate_urn_normalises_uuids_and_refuses_other_ids() -> None:
    assert certificate_urn(CERTIFICATE_ID.upper()) == f"urn:uuid:{CERTIFICATE_ID}"
    assert certificate_urn(UUID(CERTIFICATE_ID)) == f"urn:uuid:{CERTIFICATE_ID}"
    with pytest.raises(ValueError, match="badly formed"):
        certificate_urn("cert_123")


def test_prefixed_certificate_ids_name_the_same_uuid() -> None:
    assert certificate_urn("crt_" + UUID(CERTIFICATE_ID).hex) == f"urn:uuid:{CERTIFICATE_ID}"


def test_the_public_credential_carries_only_a_salted_hash_of_the_name() -> None:
    public = credential_claims(dataclasses.replace(FACTS, identity_salt="f00dfacecafe"))["vc"]
    assert isinstance(public, dict)
    subject = public["credentialSubject"]
    assert "Siti" not in json.dumps(public)
    assert "name" not in subject
    [identity] = subject["identifier"]
    assert identity["hashed"] is True
    assert identity["salt"] == "f00dfacecafe"
    # An employer who knows the name recomputes the OB 3.0 IdentityHash: sha256$ hex(sha256(name + salt)).
    expected = hashlib.sha256(b"Siti Nurhaliza Rahmawatif00dfacecafe").hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert identity_hash("Siti Nurhaliza Rahmawati", "f00dfacecafe") == identity["identityHash"]
    assert identity_hash("Siti Nurhaliza", "f00dfacecafe") != identity["identityHash"]
