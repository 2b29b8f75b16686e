"""Partner schedule endpoints of a scheduled course: add, list and show. Scopes courses:read/write."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Response, get, post

from api.auth.access import requires
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_SCHEDULES
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.http.responses import created
from api.routes.courses import READ, WRITE
from api.schemas.common import Page
from api.schemas.courses import Schedule, ScheduleCreate
from api.services import schedules, schemes
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT
from domain.errors import CourseRuleViolated, InvalidStateTransition


class ScheduleController(Controller):
    path = "/v1/courses/{course_id:str}/schedules"
    tags = [PARTNER_SCHEDULES]
    dependencies = PARTNER_CONTEXT

    @post(
        "/",
        operation_id="addSchedule",
        summary="Add a schedule",
        **requires(WRITE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def add(
        self, course_id: str, data: ScheduleCreate, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> Response[Schedule]:
        """A schedule (start, end, capacity, location or meeting link, sessions 1..n) for a webinar, offline
        or blended course. Daily hour caps, webinar capacity and session bounds are checked."""
        scheme = await schemes.default_scheme(tx)
        schedule = await schedules.add_schedule(tx, actor, partner_id, course_id, data, scheme, now)
        return created(schedule, f"/v1/courses/{course_id}/schedules/{schedule.id}")

    @get("/", operation_id="listSchedules", summary="List schedules", **requires(READ))
    async def index(
        self, course_id: str, conn: Connection, partner_id: str, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[Schedule]:
        """The course's schedules with the seats left, earliest start first, cursor-paginated."""
        return await schedules.page_of_schedules(conn, partner_id, course_id, limit, cursor)

    @get("/{schedule_id:str}", operation_id="getSchedule", summary="Show a schedule", **requires(READ))
    async def show(self, course_id: str, schedule_id: str, conn: Connection, partner_id: str) -> Schedule:
        """One schedule of your course with the seats left (where `addSchedule`'s `Location` points)."""
        return await schedules.get_schedule(conn, partner_id, course_id, schedule_id)
