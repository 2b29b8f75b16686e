"""Partner course endpoints: publish, edit (If-Match), submit, archive. Scopes courses:read/write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.params import HeaderParameter, Parameter

from api.auth.access import requires
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_COURSES
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.http.responses import created
from api.schemas.common import Page
from api.schemas.courses import Course, CourseCreate, CourseDetail, CoursePatch, Status
from api.services import courses, schemes
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT
from domain.errors import CourseRuleViolated, InvalidStateTransition, PreconditionFailed, PreconditionRequired

READ = "courses:read"
WRITE = "courses:write"


class CourseController(Controller):
    path = "/v1/courses"
    tags = [PARTNER_COURSES]
    dependencies = PARTNER_CONTEXT

    @post(
        "/",
        operation_id="createCourse",
        summary="Create a draft course",
        **requires(WRITE, errors=[CourseRuleViolated]),
    )
    async def create(
        self, data: CourseCreate, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> Response[CourseDetail]:
        """A new `draft` course owned by the caller's partner. Every course rule is checked at once and all
        violations are listed (`course_rule_violated`, 409, with per-field `errors`)."""
        detail, etag = await courses.create_course(tx, actor, partner_id, data, await schemes.default_scheme(tx), now)
        return created(detail, f"/v1/courses/{detail.id}", headers={"ETag": etag})

    @get("/", operation_id="listCourses", summary="List my courses", **requires(READ))
    async def index(
        self,
        conn: Connection,
        partner_id: str,
        status: Status | None = None,
        updated_since: Annotated[
            datetime | None,
            Parameter(
                description="Inclusive: courses whose `updated_at` is at or after this instant (with an offset; "
                "encode `+` as `%2B`). In the sandbox `updated_at` is on your test clock."
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Course]:
        """The caller's courses, oldest first, optionally filtered by `status` and by `updated_since`. In the
        sandbox every time you see on a course (`created_at`, `updated_at`, `submitted_at`, `approved_at`, the
        curation history) follows your test clock."""
        return await courses.list_courses(conn, partner_id, status, limit, cursor, updated_since)

    @get("/{course_id:str}", operation_id="getCourse", summary="Show my course", **requires(READ))
    async def show(self, course_id: str, conn: Connection, partner_id: str) -> Response[CourseDetail]:
        """One of the caller's courses with its `ETag`, curation history and latest rejection reasons.
        Another partner's course is 404."""
        detail, etag = await courses.get_course(conn, partner_id, course_id)
        return Response(detail, headers={"ETag": etag})

    @patch(
        "/{course_id:str}",
        operation_id="updateCourse",
        summary="Edit my course",
        **requires(
            WRITE, errors=[CourseRuleViolated, PreconditionFailed, PreconditionRequired, InvalidStateTransition]
        ),
    )
    async def update(
        self,
        course_id: str,
        data: CoursePatch,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        now: datetime,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", description="The ETag you read.")] = None,
    ) -> Response[CourseDetail]:
        """Change some fields. Requires `If-Match` (428 without it, 412 when stale). On an approved course,
        a new price, hours or format becomes `pending_revision` and goes through curation while the course
        keeps selling on its approved terms; other fields apply at once."""
        detail, etag = await courses.update_course(
            tx, actor, partner_id, course_id, if_match, data, await schemes.default_scheme(tx), now
        )
        return Response(detail, headers={"ETag": etag})

    @post(
        "/{course_id:str}/submit",
        operation_id="submitCourse",
        status_code=200,
        summary="Submit for curation",
        **requires(WRITE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def submit(
        self, course_id: str, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> CourseDetail:
        """`draft` or `rejected` → `submitted`. Scheduled formats need at least one schedule first."""
        return await courses.submit_course(tx, actor, partner_id, course_id, now)

    @post(
        "/{course_id:str}/archive",
        operation_id="archiveCourse",
        status_code=200,
        summary="Archive",
        **requires(WRITE, errors=[InvalidStateTransition]),
    )
    async def archive(
        self, course_id: str, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> CourseDetail:
        """Retire the course from sale; vouchers already sold still complete."""
        return await courses.archive_course(tx, actor, partner_id, course_id, now)
