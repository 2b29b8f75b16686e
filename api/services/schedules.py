"""Schedules of a partner's scheduled courses (webinar, offline, blended): add, list, and the open ones on sale."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg
import msgspec

from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.courses import Schedule, ScheduleCreate
from api.services import audit, courses
from api.services.audit import Actor
from domain import courses as rules
from domain.errors import NotFound
from domain.schemes import Scheme

SCHEDULE_COLUMNS = (
    "id, course_id, starts_at, ends_at, capacity, capacity - seats_sold AS seats_left, location, meeting_url, sessions"
)
INSERT_SCHEDULE = f"""
INSERT INTO schedules (id, course_id, partner_id, starts_at, ends_at, capacity, location, meeting_url, sessions)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
RETURNING {SCHEDULE_COLUMNS}
"""
LIST_SCHEDULES = f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE course_id = $1 ORDER BY starts_at, id"
PAGE_OF_SCHEDULES = f"""
SELECT {SCHEDULE_COLUMNS} FROM schedules
 WHERE course_id = $1 AND ($2::timestamptz IS NULL OR (starts_at, id) > ($2, $3))
 ORDER BY starts_at, id
 LIMIT $4
"""
SELECT_SCHEDULE = f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 AND course_id = $2"
LIST_OPEN_SCHEDULES = f"""
SELECT {SCHEDULE_COLUMNS} FROM schedules
 WHERE course_id = $1 AND starts_at > $2 AND seats_sold < capacity
 ORDER BY starts_at, id
"""


def decoded(row: asyncpg.Record) -> Schedule:
    """A fetched row of SCHEDULE_COLUMNS as the `Schedule` everyone sees."""
    data = dict(row)
    data["sessions"] = json.loads(data["sessions"])
    return msgspec.convert(data, Schedule)


async def add_schedule(
    conn: Connection,
    actor: Actor,
    partner_id: str,
    course_id: str,
    body: ScheduleCreate,
    scheme: Scheme,
    now: datetime,
) -> Schedule:
    """A new schedule for one of the partner's scheduled courses, checked against every schedule rule."""
    course = await courses.own(conn, partner_id, course_id, lock=True)
    if course.status == rules.CourseStatus.ARCHIVED:
        rules.require_editable(rules.CourseStatus.ARCHIVED)
    draft = rules.ScheduleDraft(
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        capacity=body.capacity,
        location=body.location,
        meeting_url=body.meeting_url,
        sessions=tuple(rules.Session(s.sequence, s.starts_at, s.ends_at) for s in body.sessions),
    )
    rules.check_schedule(course.format, course.hours, draft, scheme, now)
    sessions = sorted(body.sessions, key=lambda s: s.sequence)
    created = await conn.fetchrow(
        INSERT_SCHEDULE,
        new_id("sch"),
        course_id,
        partner_id,
        body.starts_at,
        body.ends_at,
        body.capacity,
        body.location,
        body.meeting_url,
        msgspec.json.encode(sessions).decode(),
    )
    assert created is not None
    schedule = decoded(created)
    await audit.record(conn, actor, "schedule.created", "schedule", schedule.id, after=schedule)
    return schedule


async def list_schedules(conn: Connection, partner_id: str, course_id: str) -> list[Schedule]:
    """Every schedule of one of the partner's courses, with the seats left (for the programme's review)."""
    await courses.own(conn, partner_id, course_id, lock=False)
    return [decoded(r) for r in await conn.fetch(LIST_SCHEDULES, course_id)]


async def page_of_schedules(
    conn: Connection, partner_id: str, course_id: str, limit: int, cursor: str | None
) -> Page[Schedule]:
    """One page of the schedules of the partner's course, earliest start first."""
    await courses.own(conn, partner_id, course_id, lock=False)
    keyset = Keyset.of(cursor, limit)
    rows = [decoded(r) for r in await conn.fetch(PAGE_OF_SCHEDULES, course_id, *keyset.arguments)]
    items, next_cursor = keyset.split(rows, lambda schedule: (schedule.starts_at, schedule.id))
    return Page(items=list(items), next_cursor=next_cursor)


async def get_schedule(conn: Connection, partner_id: str, course_id: str, schedule_id: str) -> Schedule:
    """One schedule of the partner's course; another partner's is 404."""
    await courses.own(conn, partner_id, course_id, lock=False)
    row = await conn.fetchrow(SELECT_SCHEDULE, schedule_id, course_id)
    if row is None:
        raise NotFound("No such schedule.")
    return decoded(row)


async def open_schedules(conn: Connection, course_id: str, now: datetime) -> list[Schedule]:
    """The schedules of a course still on sale at `now`: not started, seats left."""
    return [decoded(r) for r in await conn.fetch(LIST_OPEN_SCHEDULES, course_id, now)]
