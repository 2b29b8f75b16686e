"""Partner course endpoints: publish, edit (If-Match), submit, archive, schedules. Scopes courses:read/write."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, get, patch, post
from litestar.params import HeaderParameter

from api.auth.access import Principal, requires
from api.http.dependencies import Connection
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.http.responses import created
from api.schemas.common import Page
from api.schemas.courses import Course, CourseCreate, CourseDetail, CoursePatch, Schedule, ScheduleCreate
from api.services import courses, schemes
from api.services.audit import Actor
from api.services.clock import Clock
from domain.errors import CourseRuleViolated, InvalidStateTransition, PreconditionFailed, PreconditionRequired

READ = "courses:read"
WRITE = "courses:write"
CourseStatusFilter = Literal["draft", "submitted", "approved", "rejected", "suspended", "archived"]


class CourseController(Controller):
    path = "/v1/courses"
    tags = ["courses"]

    @post(
        "/",
        operation_id="createCourse",
        summary="Create a draft course",
        **requires(WRITE, errors=[CourseRuleViolated]),
    )
    async def create(
        self, data: CourseCreate, tx: Connection, actor: Actor, principal: Principal
    ) -> Response[CourseDetail]:
        """A new `draft` course owned by the caller's partner. Every course rule is checked at once and all
        violations are listed (`course_rule_violated`, 409, with per-field `errors`)."""
        detail, etag = await courses.create_course(
            tx, actor, principal.require_partner(), data, await schemes.default_scheme(tx)
        )
        return created(detail, f"/v1/courses/{detail.id}", headers={"ETag": etag})

    @get("/", operation_id="listCourses", summary="List my courses", **requires(READ))
    async def index(
        self,
        conn: Connection,
        principal: Principal,
        status: CourseStatusFilter | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Course]:
        """The caller's courses, oldest first, optionally filtered by `status`."""
        return await courses.list_courses(conn, principal.require_partner(), status, limit, cursor)

    @get("/{course_id:str}", operation_id="getCourse", summary="Show my course", **requires(READ))
    async def show(self, course_id: str, conn: Connection, principal: Principal) -> Response[CourseDetail]:
        """One of the caller's courses with its `ETag`, curation history and latest rejection reasons.
        Another partner's course is 404."""
        detail, etag = await courses.get_course(conn, principal.require_partner(), course_id)
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
        principal: Principal,
        clock: Clock,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", description="The ETag you read.")] = None,
    ) -> Response[CourseDetail]:
        """Change some fields. Requires `If-Match` (428 without it, 412 when stale). On an approved course,
        a new price, hours or format becomes `pending_revision` and goes through curation while the course
        keeps selling on its approved terms; other fields apply at once."""
        detail, etag = await courses.update_course(
            tx,
            actor,
            principal.require_partner(),
            course_id,
            if_match,
            data,
            await schemes.default_scheme(tx),
            await clock.now(tx, principal.partner_id),
        )
        return Response(detail, headers={"ETag": etag})

    @post(
        "/{course_id:str}/submit",
        operation_id="submitCourse",
        status_code=200,
        summary="Submit for curation",
        **requires(WRITE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def submit(self, course_id: str, tx: Connection, actor: Actor, principal: Principal) -> CourseDetail:
        """`draft` or `rejected` → `submitted`. Scheduled formats need at least one schedule first."""
        return await courses.submit_course(tx, actor, principal.require_partner(), course_id)

    @post(
        "/{course_id:str}/archive",
        operation_id="archiveCourse",
        status_code=200,
        summary="Archive",
        **requires(WRITE, errors=[InvalidStateTransition]),
    )
    async def archive(self, course_id: str, tx: Connection, actor: Actor, principal: Principal) -> CourseDetail:
        """Retire the course from sale; vouchers already sold still complete."""
        return await courses.archive_course(tx, actor, principal.require_partner(), course_id)

    @post(
        "/{course_id:str}/schedules",
        operation_id="addSchedule",
        summary="Add a schedule",
        **requires(WRITE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def add_schedule(
        self, course_id: str, data: ScheduleCreate, tx: Connection, actor: Actor, principal: Principal, clock: Clock
    ) -> Response[Schedule]:
        """A schedule (start, end, capacity, location or meeting link, sessions 1..n) for a webinar, offline
        or blended course. Daily hour caps, webinar capacity and session bounds are checked."""
        schedule = await courses.add_schedule(
            tx,
            actor,
            principal.require_partner(),
            course_id,
            data,
            await schemes.default_scheme(tx),
            await clock.now(tx, principal.partner_id),
        )
        return created(schedule, f"/v1/courses/{course_id}/schedules/{schedule.id}")

    @get("/{course_id:str}/schedules", operation_id="listSchedules", summary="List schedules", **requires(READ))
    async def list_schedules(
        self,
        course_id: str,
        conn: Connection,
        principal: Principal,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Schedule]:
        """The course's schedules with the seats left, earliest start first, cursor-paginated."""
        return await courses.list_schedules(conn, principal.require_partner(), course_id, limit, cursor)

    @get(
        "/{course_id:str}/schedules/{schedule_id:str}",
        operation_id="getSchedule",
        summary="Show a schedule",
        **requires(READ),
    )
    async def show_schedule(self, course_id: str, schedule_id: str, conn: Connection, principal: Principal) -> Schedule:
        """One schedule of your course with the seats left (where `addSchedule`'s `Location` points)."""
        return await courses.get_schedule(conn, principal.require_partner(), course_id, schedule_id)
