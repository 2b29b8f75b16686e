"""Enrollment bodies: what redemption creates and learning progress fills in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

import msgspec

from api.schemas.common import literal_of
from domain.enrollments import EnrollmentStatus

if TYPE_CHECKING:
    EnrollmentStatusName: TypeAlias = str
else:
    EnrollmentStatusName = literal_of(EnrollmentStatus)


class Attendance(msgspec.Struct, kw_only=True):
    sequence: int
    attended_at: datetime


class Assessment(msgspec.Struct, kw_only=True):
    score: int
    assessed_at: datetime


class CertificateSummary(msgspec.Struct, kw_only=True):
    id: str
    number: str
    issued_at: datetime
    status: str
    verification_url: str


class Blocker(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An unmet condition for completion, so an integrator knows why before trying."""

    code: str
    message: str
    earliest_completion_at: datetime | None = None


class Enrollment(msgspec.Struct, kw_only=True):
    id: str
    status: str
    voucher_code: str
    course_id: str
    schedule_id: str | None
    learner_ref: str
    participant_name_masked: str
    redeemed_at: datetime
    attendance: list[Attendance]
    required_sessions: int
    assessment: Assessment | None
    completed_at: datetime | None
    certificate: CertificateSummary | None
    blockers: list[Blocker]
    allowed_actions: list[str]
    updated_at: datetime
