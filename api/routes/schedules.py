"""Partner schedule endpoints of a scheduled course: add and list. Scopes courses:read/write."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post

from api.auth.access import requires
from api.http.dependencies import Connection
from api.routes.courses import READ, WRITE
from api.schemas.courses import Schedule, ScheduleCreate
from api.services import schedules, schemes
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT
from domain.errors import CourseRuleViolated, InvalidStateTransition


class ScheduleController(Controller):
    path = "/v1/courses/{course_id:str}/schedules"
    tags = ["courses"]
    dependencies = PARTNER_CONTEXT

    @post(
        "/",
        operation_id="addSchedule",
        summary="Add a schedule",
        **requires(WRITE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def add(
        self, course_id: str, data: ScheduleCreate, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> Schedule:
        """A schedule (start, end, capacity, location or meeting link, sessions 1..n) for a webinar, offline
        or blended course. Daily hour caps, webinar capacity and session bounds are checked."""
        scheme = await schemes.default_scheme(tx)
        return await schedules.add_schedule(tx, actor, partner_id, course_id, data, scheme, now)

    @get("/", operation_id="listSchedules", summary="List schedules", **requires(READ))
    async def index(self, course_id: str, conn: Connection, partner_id: str) -> list[Schedule]:
        """The course's schedules with the seats left."""
        return await schedules.list_schedules(conn, partner_id, course_id)
