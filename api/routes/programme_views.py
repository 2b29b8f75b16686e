"""Read-only programme views for the portal: the daily dashboard, a course under review, a voucher's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from litestar import get
from litestar.params import Parameter

from api.auth.access import Principal, requires
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.http.openapi import PROGRAMME_AUDIT, PROGRAMME_CURATION, PROGRAMME_PARTICIPANTS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.schemas.common import Page
from api.schemas.enrollments import Enrollment
from api.services import programme_views
from api.services.clock import Clock
from api.services.programme_views import MAX_DAYS, CourseUnderReview, Dashboard, HistoryEntry
from api.services.vouchers import CodeFormat


@get(
    "/v1/programme/dashboard",
    operation_id="getProgrammeDashboard",
    tags=[PROGRAMME_AUDIT],
    summary="Daily numbers",
    **requires(),
)
async def dashboard(
    conn: Connection,
    principal: Principal,
    days: Annotated[int, Parameter(ge=1, le=MAX_DAYS, description="How many days, ending today (Jakarta).")] = 30,
) -> Dashboard:
    """Vouchers sold and redeemed, completions, certificates issued, and money granted and spent, per day in
    Jakarta time, oldest first, ending today. Aggregates only (no personal data), for any programme token."""
    if not principal.is_programme:
        raise ApiError(404, "not_found", "No such resource.")
    return await programme_views.dashboard(conn, datetime.now(UTC), days)


@get(
    "/v1/programme/courses/{course_id:str}",
    operation_id="getCourseForCuration",
    tags=[PROGRAMME_CURATION],
    summary="A course under review",
    **requires("programme:curation"),
)
async def course_under_review(course_id: str, conn: Connection) -> CourseUnderReview:
    """Any partner's course with its pending revision, curation history, rejection reasons, and every schedule
    with its sessions: what a reviewer reads before deciding."""
    return await programme_views.course_under_review(conn, course_id)


@get(
    "/v1/programme/vouchers/{code:str}/history",
    operation_id="getVoucherHistory",
    tags=[PROGRAMME_PARTICIPANTS],
    summary="A voucher's history",
    **requires("programme:participants"),
)
async def voucher_history(code: str, conn: Connection, codes: CodeFormat) -> list[HistoryEntry]:
    """Every audit entry of the voucher, oldest first: who sold, redeemed, voided, cancelled or flagged it."""
    return await programme_views.voucher_history(conn, codes.parse(code))


@get(
    "/v1/programme/enrollments",
    operation_id="listEnrollmentsForProgramme",
    tags=[PROGRAMME_PARTICIPANTS],
    summary="A partner's enrollments",
    **requires("programme:participants"),
)
async def partner_enrollments(
    conn: Connection,
    clock: Clock,
    partner_id: Annotated[str, Parameter(max_length=64, description="Whose enrollments.")],
    status: Literal["active", "completed", "cancelled"] | None = None,
    course_id: Annotated[str | None, Parameter(max_length=64)] = None,
    updated_since: datetime | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[Enrollment]:
    """One partner's enrollments as the partner sees them, in the order they last changed (cursor)."""
    now = await clock.now(conn, partner_id)
    return await programme_views.partner_enrollments(
        conn, partner_id, status, course_id, updated_since, limit, cursor, now
    )


@get(
    "/v1/programme/enrollments/{enrollment_id:str}",
    operation_id="getEnrollmentForProgramme",
    tags=[PROGRAMME_PARTICIPANTS],
    summary="Any enrollment",
    **requires("programme:participants"),
)
async def enrollment(enrollment_id: str, conn: Connection, clock: Clock) -> Enrollment:
    """Any enrollment: progress, attendance, assessment, completion, certificate and what still blocks
    completion, exactly as its partner sees it."""
    partner_id = await programme_views.enrollment_owner(conn, enrollment_id)
    return await programme_views.enrollment(conn, enrollment_id, partner_id, await clock.now(conn, partner_id))
