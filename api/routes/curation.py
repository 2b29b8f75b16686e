"""Programme curation endpoints (scope programme:curation)."""

from __future__ import annotations

from litestar import Controller, get, post

from api.auth.access import requires
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_CURATION
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.schemas.common import Page
from api.schemas.courses import Course, CourseDetail, CurationNote, Rejection, Status
from api.services import curation
from api.services.audit import Actor
from api.services.clock import Clock
from domain.errors import InvalidStateTransition

SCOPE = "programme:curation"


class CurationController(Controller):
    path = "/v1/programme/courses"
    tags = [PROGRAMME_CURATION]

    @get("/", operation_id="listCoursesForCuration", summary="Curation queue", **requires(SCOPE))
    async def queue(
        self, conn: Connection, status: Status = "submitted", limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[Course]:
        """Courses by status. `submitted` (the default) is the queue, oldest first, and also holds approved
        courses whose new price, hours or format (`pending_revision`) await a decision."""
        return await curation.curation_queue(conn, status, limit, cursor)

    @post(
        "/{course_id:str}/approve",
        operation_id="approveCourse",
        status_code=200,
        summary="Approve",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def approve(self, course_id: str, tx: Connection, actor: Actor, clock: Clock) -> CourseDetail:
        """Publish a submitted course, or put a pending revision's terms on sale. Emits `course.approved`."""
        return await curation.curate(tx, actor, clock, course_id, "approve")

    @post(
        "/{course_id:str}/reject",
        operation_id="rejectCourse",
        status_code=200,
        summary="Reject",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def reject(self, course_id: str, data: Rejection, tx: Connection, actor: Actor, clock: Clock) -> CourseDetail:
        """Reject a submitted course (or a pending revision) with reasons the partner sees. Emits
        `course.rejected`."""
        return await curation.curate(tx, actor, clock, course_id, "reject", tuple(data.reasons))

    @post(
        "/{course_id:str}/suspend",
        operation_id="suspendCourse",
        status_code=200,
        summary="Suspend",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def suspend(
        self, course_id: str, tx: Connection, actor: Actor, clock: Clock, data: CurationNote | None = None
    ) -> CourseDetail:
        """Stop sales and redemptions of an approved course. Emits `course.suspended`."""
        return await curation.curate(
            tx, actor, clock, course_id, "suspend", (data.reason,) if data and data.reason else ()
        )

    @post(
        "/{course_id:str}/reinstate",
        operation_id="reinstateCourse",
        status_code=200,
        summary="Reinstate",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def reinstate(
        self, course_id: str, tx: Connection, actor: Actor, clock: Clock, data: CurationNote | None = None
    ) -> CourseDetail:
        """Put a suspended course back on sale. Emits `course.reinstated`."""
        return await curation.curate(
            tx, actor, clock, course_id, "reinstate", (data.reason,) if data and data.reason else ()
        )
