"""Courses: partner publishing and editing, schedules, programme curation, and the public catalogue.

Every partner query carries `partner_id` in its WHERE clause: a course of another partner is simply not
found (404), never forbidden.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.common import Page
from api.schemas.courses import (
    CatalogueCourse,
    CatalogueCourseDetail,
    Course,
    CourseCreate,
    CourseDetail,
    CoursePatch,
    CurationStep,
    PendingRevision,
    Schedule,
    ScheduleCreate,
)
from api.services import audit, events
from api.services.audit import Actor
from domain import courses as rules
from domain.errors import NotFound, PreconditionFailed, PreconditionRequired
from domain.schemes import Scheme

COURSE_COLUMNS = """
id, partner_id, status, title, description, category, format, hours, price, public_price, competencies, language,
modules, pending_revision, revision_submitted_at, version, created_at, updated_at, submitted_at, approved_at
"""
INSERT_COURSE = f"""
INSERT INTO courses (id, partner_id, title, description, category, format, hours, price, public_price,
                     competencies, language, modules)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING {COURSE_COLUMNS}
"""
SELECT_OWN_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND partner_id = $2"
LOCK_OWN_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND partner_id = $2 FOR UPDATE"
LOCK_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 FOR UPDATE"
SELECT_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1"
UPDATE_CONTENT = f"""
UPDATE courses
   SET title = $2, description = $3, category = $4, format = $5, hours = $6, price = $7, public_price = $8,
       competencies = $9, language = $10, modules = $11, pending_revision = $12::jsonb,
       revision_submitted_at = $13, version = version + 1, updated_at = now()
 WHERE id = $1
RETURNING {COURSE_COLUMNS}
"""
UPDATE_STATUS = f"""
UPDATE courses
   SET status = $2, version = version + 1, updated_at = now(),
       submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END,
       approved_at = CASE WHEN $2 = 'approved' THEN coalesce(approved_at, now()) ELSE approved_at END,
       pending_revision = CASE WHEN $2 = 'archived' THEN NULL ELSE pending_revision END,
       revision_submitted_at = CASE WHEN $2 = 'archived' THEN NULL ELSE revision_submitted_at END
 WHERE id = $1
RETURNING {COURSE_COLUMNS}
"""
LIST_OWN_COURSES = f"""
SELECT {COURSE_COLUMNS} FROM courses
 WHERE partner_id = $1 AND ($2::text IS NULL OR status = $2)
   AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
 ORDER BY created_at, id
 LIMIT $5
"""
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
INSERT_CURATION_EVENT = """
INSERT INTO course_curation_events (course_id, action, from_status, to_status, reasons, revision, actor_id)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
"""
SELECT_CURATION_EVENTS = """
SELECT action, from_status, to_status, reasons, at FROM course_curation_events WHERE course_id = $1 ORDER BY id
"""
COUNT_SCHEDULES = "SELECT count(*) FROM schedules WHERE course_id = $1"
SCHEDULE_COLUMNS = (
    "id, course_id, starts_at, ends_at, capacity, capacity - seats_sold AS seats_left, location, meeting_url, sessions"
)
INSERT_SCHEDULE = f"""
INSERT INTO schedules (id, course_id, partner_id, starts_at, ends_at, capacity, location, meeting_url, sessions)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
RETURNING {SCHEDULE_COLUMNS}
"""
LIST_SCHEDULES = f"""
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
CATALOGUE_COLUMNS = """
c.id, c.partner_id, (SELECT name FROM partners WHERE id = c.partner_id) AS partner_name, c.title, c.description,
c.category, c.format, c.hours, c.price, c.public_price, c.competencies, c.language, c.modules, c.approved_at
"""
# "Courses of active partners" as an anti-join: suspended partners are few, so the planner keeps walking the
# ordered catalogue index and stops after one page, instead of joining every match first.
ON_SALE = """
c.status = 'approved' AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = c.partner_id AND p.status <> 'active')
"""
CATALOGUE_FROM = f"SELECT {CATALOGUE_COLUMNS} FROM courses c WHERE {ON_SALE}"
# Only the filters a request uses go into its SQL (values stay $n parameters), so the planner can pick the
# ordered catalogue index or the full-text index for each shape instead of one generic plan for all.
CATALOGUE_FILTERS = {
    "q": "c.search @@ websearch_to_tsquery('simple', ${})",
    "format": "c.format = ${}",
    "category": "c.category = ${}",
    "max_price": "c.price <= ${}",
}
CATALOGUE_COURSE = f"SELECT {CATALOGUE_COLUMNS} FROM courses c WHERE c.id = $1 AND {ON_SALE}"

PARTNER_ACTIONS = ("submit", "archive")


# --- conversions -------------------------------------------------------------------------------------------------


def content_of(row: asyncpg.Record) -> rules.CourseContent:
    return rules.CourseContent(
        title=row["title"],
        description=row["description"],
        category=row["category"],
        format=rules.CourseFormat(row["format"]),
        hours=row["hours"],
        price=row["price"],
        public_price=row["public_price"],
        competencies=tuple(row["competencies"]),
        language=row["language"],
        modules=row["modules"],
    )


def _pending(row: asyncpg.Record) -> PendingRevision | None:
    if row["pending_revision"] is None:
        return None
    terms = json.loads(row["pending_revision"])
    return PendingRevision(**terms, submitted_at=row["revision_submitted_at"])


def partner_actions(status: rules.CourseStatus, course_format: rules.CourseFormat) -> list[str]:
    """What the owning partner may do with a course now."""
    actions = [a for a in rules.allowed_actions(status) if a in PARTNER_ACTIONS]
    if rules.editable(status):
        actions.insert(0, "edit")
    if course_format in rules.SCHEDULED_FORMATS and status != rules.CourseStatus.ARCHIVED:
        actions.append("add_schedule")
    return actions


def _course(row: asyncpg.Record) -> Course:
    status = rules.CourseStatus(row["status"])
    return Course(
        id=row["id"],
        partner_id=row["partner_id"],
        status=status.value,
        title=row["title"],
        description=row["description"],
        category=row["category"],
        format=row["format"],
        hours=row["hours"],
        price=row["price"],
        public_price=row["public_price"],
        competencies=list(row["competencies"]),
        language=row["language"],
        modules=row["modules"],
        pending_revision=_pending(row),
        allowed_actions=partner_actions(status, rules.CourseFormat(row["format"])),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _detail(conn: Connection, row: asyncpg.Record) -> CourseDetail:
    history = [msgspec.convert(dict(r), CurationStep) for r in await conn.fetch(SELECT_CURATION_EVENTS, row["id"])]
    rejections = [step for step in history if step.action == "reject"]
    reasons = rejections[-1].reasons if rejections and row["status"] == "rejected" else []
    return CourseDetail(**msgspec.structs.asdict(_course(row)), rejection_reasons=reasons, curation_history=history)


def etag(row: asyncpg.Record) -> str:
    return f'"{row["version"]}"'


def _schedule(row: asyncpg.Record) -> Schedule:
    data = dict(row)
    data["sessions"] = json.loads(data["sessions"])
    return msgspec.convert(data, Schedule)


# --- partner side ------------------------------------------------------------------------------------------------


async def create_course(
    conn: Connection, actor: Actor, partner_id: str, body: CourseCreate, scheme: Scheme
) -> tuple[CourseDetail, str]:
    """A new draft course of `partner_id`, checked against every course rule; returns it and its ETag."""
    content = rules.CourseContent(
        title=body.title.strip(),
        description=body.description.strip(),
        category=body.category.strip(),
        format=rules.CourseFormat(body.format),
        hours=body.hours,
        price=body.price,
        public_price=body.public_price,
        competencies=tuple(c.strip() for c in body.competencies),
        language=body.language.strip(),
        modules=body.modules,
    )
    rules.check_course(content, scheme)
    row = await conn.fetchrow(
        INSERT_COURSE,
        new_id("crs"),
        partner_id,
        content.title,
        content.description,
        content.category,
        content.format.value,
        content.hours,
        content.price,
        content.public_price,
        list(content.competencies),
        content.language,
        content.modules,
    )
    assert row is not None
    detail = await _detail(conn, row)
    await audit.record(conn, actor, "course.created", "course", detail.id, after=_course(row))
    return detail, etag(row)


async def _own(conn: Connection, partner_id: str, course_id: str, *, lock: bool) -> asyncpg.Record:
    row = await conn.fetchrow(LOCK_OWN_COURSE if lock else SELECT_OWN_COURSE, course_id, partner_id)
    if row is None:
        raise NotFound("No such course.")
    return row


async def get_course(conn: Connection, partner_id: str, course_id: str) -> tuple[CourseDetail, str]:
    row = await _own(conn, partner_id, course_id, lock=False)
    return await _detail(conn, row), etag(row)


async def list_courses(
    conn: Connection, partner_id: str, status: str | None, limit: int, cursor: str | None
) -> Page[Course]:
    after = decode_cursor(cursor)
    rows = await conn.fetch(
        LIST_OWN_COURSES, partner_id, status, after[0] if after else None, after[1] if after else None, limit + 1
    )
    items = [_course(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None)


def _edited(current: rules.CourseContent, pending: dict[str, Any] | None, patch: CoursePatch) -> rules.CourseContent:
    """The content the partner now wants: live content, with any pending terms, with the patch applied."""
    base = current
    if pending is not None:
        base = rules.CuratedTerms(
            format=rules.CourseFormat(pending["format"]),
            hours=pending["hours"],
            price=pending["price"],
            modules=pending["modules"],
        ).applied_to(current)
    changes: dict[str, Any] = {}
    for name in ("title", "description", "category", "hours", "price", "public_price", "language", "modules"):
        value = getattr(patch, name)
        if value is not msgspec.UNSET:
            changes[name] = value.strip() if isinstance(value, str) else value
    if patch.format is not msgspec.UNSET:
        changes["format"] = rules.CourseFormat(patch.format)
    if patch.competencies is not msgspec.UNSET:
        changes["competencies"] = tuple(c.strip() for c in patch.competencies)
    return rules.CourseContent(**{**_as_dict(base), **changes})


def _as_dict(content: rules.CourseContent) -> dict[str, Any]:
    return {name: getattr(content, name) for name in rules.CourseContent.__dataclass_fields__}


def require_match(row: asyncpg.Record, if_match: str | None) -> None:
    """Optimistic concurrency: the client must name the version it read."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you read, so edits cannot overwrite each other.")
    if if_match.strip() not in (etag(row), f"W/{etag(row)}", "*"):
        raise PreconditionFailed("The course changed since you read it; GET it again and reapply your edit.")


async def update_course(
    conn: Connection,
    actor: Actor,
    partner_id: str,
    course_id: str,
    if_match: str | None,
    patch: CoursePatch,
    scheme: Scheme,
    now: datetime,
) -> tuple[CourseDetail, str]:
    """Apply an edit; price/hours/format of a course on sale become a pending revision (sales go on)."""
    row = await _own(conn, partner_id, course_id, lock=True)
    require_match(row, if_match)
    status = rules.CourseStatus(row["status"])
    current = content_of(row)
    pending = json.loads(row["pending_revision"]) if row["pending_revision"] else None
    plan = rules.plan_edit(status, current, _edited(current, pending, patch), scheme)
    proposed = plan.proposed_terms
    revision = (
        {"format": proposed.format.value, "hours": proposed.hours, "price": proposed.price, "modules": proposed.modules}
        if proposed
        else None
    )
    queued_at = (row["revision_submitted_at"] if revision == pending else now) if revision else None
    live = plan.live
    updated = await _write_content(conn, course_id, live, revision, queued_at)
    await audit.record(conn, actor, "course.updated", "course", course_id, before=_course(row), after=_course(updated))
    return await _detail(conn, updated), etag(updated)


async def _write_content(
    conn: Connection,
    course_id: str,
    live: rules.CourseContent,
    revision: dict[str, Any] | None,
    queued_at: datetime | None,
) -> asyncpg.Record:
    """Store the content on sale and the pending revision (if any); bumps the version (the ETag)."""
    updated = await conn.fetchrow(
        UPDATE_CONTENT,
        course_id,
        live.title,
        live.description,
        live.category,
        live.format.value,
        live.hours,
        live.price,
        live.public_price,
        list(live.competencies),
        live.language,
        live.modules,
        json.dumps(revision) if revision else None,
        queued_at,
    )
    assert updated is not None
    return updated


async def _move(
    conn: Connection,
    actor: Actor,
    row: asyncpg.Record,
    action: str,
    target: rules.CourseStatus,
    reasons: tuple[str, ...] = (),
    revision: dict[str, Any] | None = None,
) -> asyncpg.Record:
    """Persist a curation step: the new status, the trail, the audit row."""
    updated = await conn.fetchrow(UPDATE_STATUS, row["id"], target.value) if target.value != row["status"] else row
    assert updated is not None
    await conn.execute(
        INSERT_CURATION_EVENT,
        row["id"],
        action,
        row["status"],
        target.value,
        list(reasons),
        json.dumps(revision) if revision else None,
        actor.id,
    )
    await audit.record(
        conn,
        actor,
        f"course.{action}",
        "course",
        row["id"],
        before={"status": row["status"]},
        after={"status": target.value, "reasons": list(reasons), "revision": revision},
    )
    return updated


async def submit_course(conn: Connection, actor: Actor, partner_id: str, course_id: str) -> CourseDetail:
    """Send a draft or rejected course to curation (scheduled formats need a schedule first)."""
    row = await _own(conn, partner_id, course_id, lock=True)
    target = rules.transition(rules.CourseStatus(row["status"]), "submit")
    rules.check_submittable(content_of(row), await conn.fetchval(COUNT_SCHEDULES, course_id))
    return await _detail(conn, await _move(conn, actor, row, "submit", target))


async def archive_course(conn: Connection, actor: Actor, partner_id: str, course_id: str) -> CourseDetail:
    """Retire a course: it leaves the catalogue; vouchers already sold still run to completion."""
    row = await _own(conn, partner_id, course_id, lock=True)
    target = rules.transition(rules.CourseStatus(row["status"]), "archive")
    return await _detail(conn, await _move(conn, actor, row, "archive", target))


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
    row = await _own(conn, partner_id, course_id, lock=True)
    if row["status"] == rules.CourseStatus.ARCHIVED:
        rules.require_editable(rules.CourseStatus.ARCHIVED)
    draft = rules.ScheduleDraft(
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        capacity=body.capacity,
        location=body.location,
        meeting_url=body.meeting_url,
        sessions=tuple(rules.Session(s.sequence, s.starts_at, s.ends_at) for s in body.sessions),
    )
    rules.check_schedule(rules.CourseFormat(row["format"]), row["hours"], draft, scheme, now)
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
    schedule = _schedule(created)
    await audit.record(conn, actor, "schedule.created", "schedule", schedule.id, after=schedule)
    return schedule


async def list_schedules(
    conn: Connection, partner_id: str, course_id: str, limit: int, cursor: str | None
) -> Page[Schedule]:
    """One page of the schedules of the partner's course, by start time."""
    await _own(conn, partner_id, course_id, lock=False)
    after = decode_cursor(cursor)
    rows = await conn.fetch(
        LIST_SCHEDULES, course_id, after[0] if after else None, after[1] if after else None, limit + 1
    )
    items = [_schedule(r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].starts_at, items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def get_schedule(conn: Connection, partner_id: str, course_id: str, schedule_id: str) -> Schedule:
    """One schedule of the partner's course; another partner's is 404."""
    await _own(conn, partner_id, course_id, lock=False)
    row = await conn.fetchrow(SELECT_SCHEDULE, schedule_id, course_id)
    if row is None:
        raise NotFound("No such schedule.")
    return _schedule(row)


# --- programme curation ------------------------------------------------------------------------------------------


async def curation_queue(conn: Connection, status: str, limit: int, cursor: str | None) -> Page[Course]:
    """Courses by status; `submitted` is the curation queue, oldest first, pending revisions included."""
    after = decode_cursor(cursor)
    if status == rules.CourseStatus.SUBMITTED:
        rows = await conn.fetch(CURATION_QUEUE, after[0] if after else None, after[1] if after else None, limit + 1)
        key = "queued_at"
    else:
        rows = await conn.fetch(
            LIST_BY_STATUS, status, after[0] if after else None, after[1] if after else None, limit + 1
        )
        key = "created_at"
    items = [_course(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor(last[key], last["id"]) if last else None)


async def curate(
    conn: Connection, actor: Actor, course_id: str, action: str, reasons: tuple[str, ...] = ()
) -> CourseDetail:
    """Approve, reject, suspend or reinstate a course, or decide its pending revision; audited and evented."""
    row = await conn.fetchrow(LOCK_COURSE, course_id)
    if row is None:
        raise NotFound("No such course.")
    return await curate_locked(conn, actor, row, action, reasons)


async def curate_locked(
    conn: Connection, actor: Actor, row: asyncpg.Record, action: str, reasons: tuple[str, ...] = ()
) -> CourseDetail:
    status = rules.CourseStatus(row["status"])
    pending = json.loads(row["pending_revision"]) if row["pending_revision"] else None
    if pending is not None and action in ("approve", "reject") and status != rules.CourseStatus.SUBMITTED:
        updated = await _decide_revision(conn, actor, row, pending, action, reasons)
    else:
        target = rules.transition(status, action, reasons=reasons)
        cleaned = rules.rejection_reasons(reasons) if action == "reject" else ()
        updated = await _move(conn, actor, row, action, target, cleaned)
    detail = await _detail(conn, updated)
    event_type = {"approve": "course.approved", "reject": "course.rejected", "suspend": "course.suspended"}.get(
        action, f"course.{action}d"
    )
    await events.emit(conn, detail.partner_id, event_type, "course", detail.id, detail)
    return detail


async def _decide_revision(
    conn: Connection,
    actor: Actor,
    row: asyncpg.Record,
    pending: dict[str, Any],
    action: str,
    reasons: tuple[str, ...],
) -> asyncpg.Record:
    rules.revision_transition(rules.RevisionStatus.PENDING, action, reasons=reasons)
    live = content_of(row)
    if action == "approve":
        live = rules.CuratedTerms(
            format=rules.CourseFormat(pending["format"]),
            hours=pending["hours"],
            price=pending["price"],
            modules=pending["modules"],
        ).applied_to(live)
    updated = await _write_content(conn, row["id"], live, None, None)
    cleaned = rules.rejection_reasons(reasons) if action == "reject" else ()
    return await _move(conn, actor, updated, f"{action}_revision", rules.CourseStatus(row["status"]), cleaned, pending)


# --- public catalogue --------------------------------------------------------------------------------------------


def _catalogue(row: asyncpg.Record) -> CatalogueCourse:
    data = dict(row)
    data.pop("approved_at")
    return msgspec.convert(data, CatalogueCourse)


async def catalogue(
    conn: Connection,
    q: str | None,
    course_format: str | None,
    category: str | None,
    max_price: int | None,
    limit: int,
    cursor: str | None,
) -> Page[CatalogueCourse]:
    """Published courses of active partners, newest approval first, with full-text search and filters."""
    after = decode_cursor(cursor)
    given: dict[str, Any] = {
        "q": q.strip() if q and q.strip() else None,
        "format": course_format,
        "category": category,
        "max_price": max_price,
    }
    sql = [CATALOGUE_FROM]
    args: list[Any] = []
    for name, value in given.items():
        if value is not None:
            args.append(value)
            sql.append(" AND " + CATALOGUE_FILTERS[name].format(len(args)))
    if after is not None:
        args += [after[0], after[1]]
        sql.append(f" AND (c.approved_at, c.id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    sql.append(f" ORDER BY c.approved_at DESC, c.id DESC LIMIT ${len(args)}")
    rows = await conn.fetch("".join(sql), *args)
    items = [_catalogue(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor(last["approved_at"], last["id"]) if last else None)


async def catalogue_course(conn: Connection, course_id: str, now: datetime) -> CatalogueCourseDetail:
    """One published course with the schedules still open for sale."""
    row = await conn.fetchrow(CATALOGUE_COURSE, course_id)
    if row is None:
        raise NotFound("No such course in the catalogue.")
    schedules = [_schedule(r) for r in await conn.fetch(LIST_OPEN_SCHEDULES, course_id, now)]
    return CatalogueCourseDetail(**msgspec.structs.asdict(_catalogue(row)), schedules=schedules)
