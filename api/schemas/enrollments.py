"""Enrollment bodies: what redemption creates and learning progress fills in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import (
    CourseId,
    EnrollmentId,
    OptionalScheduleId,
    ParticipantNameMasked,
    UpdatedAt,
    VoucherCode,
    described,
    literal_of,
)
from domain.certificates import CertificateStatus
from domain.enrollments import BlockerCode, EnrollmentAction, EnrollmentStatus

if TYPE_CHECKING:
    EnrollmentStatusName: TypeAlias = str
    CertificateStatusName: TypeAlias = str
    BlockerCodeName: TypeAlias = str
    EnrollmentActionName: TypeAlias = str
else:
    EnrollmentStatusName = literal_of(EnrollmentStatus)
    CertificateStatusName = literal_of(CertificateStatus)
    BlockerCodeName = literal_of(BlockerCode)
    EnrollmentActionName = literal_of(EnrollmentAction)

ENROLLMENT_STATUS = described(
    "`active` from redemption until `completed` (you reported completion); `cancelled` when the programme cancelled "
    "the voucher."
)
CERTIFICATE_STATUS = described("`valid`, or `revoked` (by you; verification then says so).")
CERTIFICATE_NUMBER = described("Your certificate number, unique among your certificates.")
CERTIFICATE_ISSUED_AT = described("The issue date you reported; RFC 3339 in UTC.")
VERIFICATION_URL = described("The public page that verifies the certificate; print it on the certificate.")
LEARNER_REF = described("Your learner account id, as given at redemption.")
SEQUENCE = described("The session's number (a self-paced course's module's), 1 for the first.")
SCORE = described("The final assessment's score, 0 to 100.")


class Attendance(msgspec.Struct, kw_only=True):
    sequence: Annotated[int, SEQUENCE]
    attended_at: Annotated[datetime, described("When the participant attended, as you reported it; RFC 3339 in UTC.")]


class Assessment(msgspec.Struct, kw_only=True):
    score: Annotated[int, SCORE]
    assessed_at: Annotated[datetime, described("When the assessment took place, as you reported it; RFC 3339 in UTC.")]


class CertificateSummary(msgspec.Struct, kw_only=True):
    id: Annotated[str, described("The certificate's id.")]
    number: Annotated[str, CERTIFICATE_NUMBER]
    issued_at: Annotated[datetime, CERTIFICATE_ISSUED_AT]
    status: Annotated[CertificateStatusName, CERTIFICATE_STATUS]
    verification_url: Annotated[str, VERIFICATION_URL]


class Blocker(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An unmet condition for completion, so an integrator knows why before trying."""

    code: Annotated[BlockerCodeName, described("What is missing, as the error code completing now would answer.")]
    message: Annotated[str, described("The same in a sentence for people (English).")]
    earliest_completion_at: (
        Annotated[datetime, described("For `completion_too_early`: the first instant completion is allowed (UTC).")]
        | None
    ) = None


class Enrollment(msgspec.Struct, kw_only=True):
    """A redeemed voucher's learning: attendance, assessment, completion and certificate."""

    id: EnrollmentId
    status: Annotated[EnrollmentStatusName, ENROLLMENT_STATUS]
    voucher_code: Annotated[VoucherCode, described("The voucher whose redemption started the enrollment.")]
    course_id: CourseId
    schedule_id: OptionalScheduleId
    learner_ref: Annotated[str, LEARNER_REF]
    participant_name_masked: ParticipantNameMasked
    redeemed_at: Annotated[datetime, described("When the voucher was redeemed; RFC 3339 in UTC.")]
    attendance: Annotated[list[Attendance], described("Sessions (or modules) attended so far, by `sequence`.")]
    required_sessions: Annotated[
        int, described("Sessions (scheduled formats) or modules (self-paced; 1 if unsaid) to attend to complete.")
    ]
    assessment: Annotated[Assessment | None, described("The final assessment; null until you report it.")]
    completed_at: Annotated[datetime | None, described("When you reported completion; null before. RFC 3339 UTC.")]
    certificate: Annotated[CertificateSummary | None, described("The certificate you issued; null before.")]
    blockers: Annotated[list[Blocker], described("Why completion would be refused now; empty when it would pass.")]
    allowed_actions: Annotated[
        list[EnrollmentActionName], described("What you may report now; `complete` only when `blockers` is empty.")
    ]
    updated_at: UpdatedAt
