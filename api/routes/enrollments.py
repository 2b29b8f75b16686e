"""Partner enrollment endpoints: progress, attendance, assessment, completion, certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.params import Parameter

from api.auth.access import requires
from api.auth.signing_keys import SigningKeyRing
from api.http.dependencies import Connection
from api.http.idempotency import Idempotency
from api.http.openapi import PARTNER_CERTIFICATES, PARTNER_ENROLLMENTS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.schemas.certificates import CertificateIssue, CertificateOut, CertificateRevoke
from api.schemas.common import Page
from api.schemas.enrollments import Enrollment, EnrollmentStatusName
from api.schemas.learning import AssessmentReport, AttendanceReport, CompletionReport
from api.services import certificates, enrollments
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT, READ_NOW
from api.settings import Settings
from domain.errors import (
    AssessmentMissing,
    AttendanceIncomplete,
    CertificateNumberTaken,
    CompletionTooEarly,
    InvalidStateTransition,
    NotCompleted,
    OutOfTimeOrder,
)

Sequence = Annotated[int, Parameter(ge=1, le=1000, description="Session (scheduled) or module (self-paced) number.")]


class EnrollmentController(Controller):
    path = "/v1/enrollments"
    dependencies = PARTNER_CONTEXT

    @get(
        "/",
        operation_id="listEnrollments",
        tags=[PARTNER_ENROLLMENTS],
        summary="List my enrollments",
        dependencies=READ_NOW,
        **requires("enrollments:read"),
    )
    async def index(
        self,
        conn: Connection,
        partner_id: str,
        now: datetime,
        status: EnrollmentStatusName | None = None,
        course_id: Annotated[str | None, Parameter(max_length=64)] = None,
        updated_since: Annotated[
            datetime | None,
            Parameter(
                description="Inclusive: enrollments whose `updated_at` is at or after this instant (with an offset; "
                "encode `+` as `%2B`). In the sandbox `updated_at` is on your test clock."
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Enrollment]:
        """Your enrollments in the order they last changed (oldest first), for incremental sync: keep the
        `next_cursor`, or pass the last `updated_at` you saw as `updated_since` (inclusive: that enrollment comes
        back once more, so de-duplicate by `id`). In the sandbox every time you see, `updated_at` included,
        follows your test clock."""
        return await enrollments.list_for_partner(
            conn, partner_id, status, course_id, updated_since, limit, cursor, now
        )

    @get(
        "/{enrollment_id:str}",
        operation_id="getEnrollment",
        tags=[PARTNER_ENROLLMENTS],
        summary="Show an enrollment",
        dependencies=READ_NOW,
        **requires("enrollments:read"),
    )
    async def show(self, enrollment_id: str, conn: Connection, partner_id: str, now: datetime) -> Enrollment:
        """Progress, attendance, assessment, completion and certificate, plus `blockers` (what still stands
        between the enrollment and completion, with the earliest completion date) and `allowed_actions`."""
        return await enrollments.get_for_partner(conn, partner_id, enrollment_id, now)

    @put(
        "/{enrollment_id:str}/attendance/{sequence:int}",
        operation_id="recordAttendance",
        tags=[PARTNER_ENROLLMENTS],
        summary="Record attendance",
        **requires("learning:write", errors=[InvalidStateTransition, OutOfTimeOrder]),
    )
    async def attendance(
        self,
        enrollment_id: str,
        sequence: Sequence,
        data: AttendanceReport,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        now: datetime,
    ) -> Enrollment:
        """Session (scheduled formats) or module (self-paced) `sequence` attended. Idempotent per sequence:
        reporting it again changes nothing (the first time stands). 422 for a sequence outside 1..n, a time
        in the future, before redemption or before the session started."""
        return await enrollments.record_attendance(
            tx,
            actor,
            partner_id,
            enrollment_id,
            sequence,
            data.attended_at,
            now,
        )

    @put(
        "/{enrollment_id:str}/assessment",
        operation_id="recordAssessment",
        tags=[PARTNER_ENROLLMENTS],
        summary="Record the final assessment",
        **requires("learning:write", errors=[InvalidStateTransition, OutOfTimeOrder]),
    )
    async def assessment(
        self,
        enrollment_id: str,
        data: AssessmentReport,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        now: datetime,
    ) -> Enrollment:
        """The final assessment score (0-100); it may be corrected until the enrollment is completed."""
        return await enrollments.record_assessment(
            tx,
            actor,
            partner_id,
            enrollment_id,
            data.score,
            data.assessed_at,
            now,
        )

    @post(
        "/{enrollment_id:str}/completion",
        operation_id="completeEnrollment",
        tags=[PARTNER_ENROLLMENTS],
        summary="Complete",
        status_code=200,
        **requires(
            "learning:write",
            errors=[
                AttendanceIncomplete,
                AssessmentMissing,
                CompletionTooEarly,
                InvalidStateTransition,
                OutOfTimeOrder,
            ],
        ),
    )
    async def completion(
        self,
        enrollment_id: str,
        data: CompletionReport,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        idempotency: Idempotency,
        now: datetime,
    ) -> Response[Enrollment]:
        """Complete the enrollment: every session (or module) attended (`attendance_incomplete`), an
        assessment (`assessment_missing`), and enough calendar days since redemption for the course's hours
        at the format's daily maximum (`completion_too_early`). Emits `enrollment.completed`."""
        return await idempotency.run(
            lambda: enrollments.complete(tx, actor, partner_id, enrollment_id, data.completed_at, now),
            status_code=200,
        )

    @post(
        "/{enrollment_id:str}/certificate",
        operation_id="issueCertificate",
        tags=[PARTNER_CERTIFICATES],
        summary="Issue the certificate",
        status_code=201,
        **requires("certificates:write", errors=[NotCompleted, CertificateNumberTaken, InvalidStateTransition]),
    )
    async def issue_certificate(
        self,
        enrollment_id: str,
        data: CertificateIssue,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        idempotency: Idempotency,
        settings: Settings,
        signing_keys: SigningKeyRing,
        now: datetime,
    ) -> Response[CertificateOut]:
        """Issue the certificate of a completed enrollment (`not_completed` otherwise). The number is unique
        among your certificates (`certificate_number_taken`). The response carries a signed credential (JWS)
        and the public verification URL."""
        return await idempotency.run(
            lambda: certificates.issue(
                tx, actor, signing_keys, settings.public_url, partner_id, enrollment_id, data, now
            ),
            status_code=201,
            location=lambda certificate: f"/v1/certificates/{certificate['id']}",
        )

    @post(
        "/{enrollment_id:str}/certificate/revoke",
        operation_id="revokeCertificate",
        tags=[PARTNER_CERTIFICATES],
        summary="Revoke the certificate",
        status_code=200,
        **requires("certificates:write", errors=[InvalidStateTransition]),
    )
    async def revoke_certificate(
        self,
        enrollment_id: str,
        data: CertificateRevoke,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        now: datetime,
    ) -> CertificateOut:
        """Withdraw a certificate you issued, with a reason; public verification shows it as revoked."""
        return await certificates.revoke(
            tx,
            actor,
            partner_id,
            enrollment_id,
            data.reason,
            now,
        )
