"""Programme curation of courses: the queue, approve, reject, suspend, reinstate, and pending revisions.

A revision (new price, hours or format of a course on sale) is decided with the same approve and reject as a
submitted course; the course keeps selling on its approved terms meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.courses import Course, CourseDetail
from api.services import courses, events
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.courses import COURSE_COLUMNS, CourseRow
from domain import courses as rules
from domain.errors import NotFound

CURATION_QUEUE = f"""
SELECT {COURSE_COLUMNS}, coalesce(revision_submitted_at, submitted_at) AS queued_at FROM courses
 WHERE (status = 'submitted' OR pending_revision IS NOT NULL)
   AND ($1::timestamptz IS NULL OR (coalesce(revision_submitted_at, submitted_at), id) > ($1, $2))
 ORDER BY coalesce(revision_submitted_at, submitted_at), id
 LIMIT $3
"""
LIST_BY_STATUS = f"""
SELECT {COURSE_COLUMNS} FROM courses
 WHERE status = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
 ORDER BY created_at, id
 LIMIT $4
"""
EVENT_TYPES = {"approve": "course.approved", "reject": "course.rejected", "suspend": "course.suspended"}


class QueuedCourseRow(CourseRow, kw_only=True, frozen=True):
    """A course in the curation queue: since when it (or its pending revision) waits."""

    queued_at: datetime


async def curation_queue(conn: Connection, status: str, limit: int, cursor: str | None) -> Page[Course]:
    """Courses by status; `submitted` is the curation queue, oldest first, pending revisions included."""
    keyset = Keyset.of(cursor, limit)
    if status == rules.CourseStatus.SUBMITTED:
        queued = [
            msgspec.convert(dict(r), QueuedCourseRow) for r in await conn.fetch(CURATION_QUEUE, *keyset.arguments)
        ]
        page, next_cursor = keyset.split(queued, lambda row: (row.queued_at, row.id))
        return Page(items=[courses.view(row) for row in page], next_cursor=next_cursor)
    rows = [courses.decoded(r) for r in await conn.fetch(LIST_BY_STATUS, status, *keyset.arguments)]
    listed, next_cursor = keyset.split(rows, lambda row: (row.created_at, row.id))
    return Page(items=[courses.view(row) for row in listed], next_cursor=next_cursor)


async def curate(
    conn: Connection, actor: Actor, clock: Clock, course_id: str, action: str, reasons: tuple[str, ...] = ()
) -> CourseDetail:
    """Approve, reject, suspend or reinstate a course, or decide its pending revision; audited and evented.

    The step happens at the course partner's now, so a sandbox partner sees it on its test clock.
    """
    found = await conn.fetchrow(courses.LOCK_COURSE, course_id)
    if found is None:
        raise NotFound("No such course.")
    row = courses.decoded(found)
    now = await clock.now(conn, row.partner_id)
    pending = row.pending_terms
    if pending is not None and action in ("approve", "reject") and row.status != rules.CourseStatus.SUBMITTED:
        updated = await _decide_revision(conn, actor, row, pending, action, reasons, now)
    else:
        target = rules.transition(row.status, action, reasons=reasons)
        updated = await courses.move(conn, actor, row, action, target, now, rules.curation_reasons(action, reasons))
    detail = await courses.detail(conn, updated)
    event_type = EVENT_TYPES.get(action, f"course.{action}d")
    await events.emit(conn, detail.partner_id, event_type, "course", detail.id, detail)
    return detail


async def _decide_revision(
    conn: Connection,
    actor: Actor,
    row: CourseRow,
    pending: dict[str, Any],
    action: str,
    reasons: tuple[str, ...],
    now: datetime,
) -> CourseRow:
    rules.revision_transition(rules.RevisionStatus.PENDING, action, reasons=reasons)
    live = row.content
    if action == "approve":
        live = courses.terms_of(pending).applied_to(live)
    updated = await courses.write_content(conn, row.id, live, None, None, now)
    cleaned = rules.curation_reasons(f"{action}_revision", reasons)
    return await courses.move(conn, actor, updated, f"{action}_revision", row.status, now, cleaned, pending)
