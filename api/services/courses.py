"""Courses as their partner authors them: create, read, list, edit (If-Match), submit, archive.

Every partner query carries `partner_id` in its WHERE clause: a course of another partner is simply not found
(404), never forbidden. The course's columns are spelled once, as `CourseRow`; its content columns once, as the
fields of `domain.courses.CourseContent`: an optional course field is a field there, a column, and a schema field.
Schedules, curation and the public catalogue live in their own modules beside this one and reuse its row and views.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.courses import Course, CourseCreate, CourseDetail, CoursePatch, CurationStep, PendingRevision
from api.services import audit
from api.services.audit import Actor
from domain import courses as rules
from domain.errors import NotFound, PreconditionFailed, PreconditionRequired
from domain.schemes import Scheme

CONTENT_FIELDS = tuple(field.name for field in dataclasses.fields(rules.CourseContent))
"""The columns a partner writes, in one order for INSERT and UPDATE: the fields of `CourseContent`."""


class CourseRow(msgspec.Struct, kw_only=True, frozen=True):
    """A row of `courses` as this module reads it; the column list of every course query is its fields."""

    id: str
    partner_id: str
    status: rules.CourseStatus
    title: str
    description: str
    category: str
    format: rules.CourseFormat
    hours: int
    price: int
    public_price: int
    competencies: tuple[str, ...]
    language: str
    modules: int | None
    pending_revision: str | None
    revision_submitted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None

    @property
    def content(self) -> rules.CourseContent:
        return rules.CourseContent(**{name: getattr(self, name) for name in CONTENT_FIELDS})

    @property
    def pending_terms(self) -> dict[str, Any] | None:
        """The curated terms awaiting a decision, as stored (format, hours, price, modules)."""
        terms: dict[str, Any] | None = json.loads(self.pending_revision) if self.pending_revision else None
        return terms

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _placeholders(first: int, count: int) -> str:
    return ", ".join(f"${n}" for n in range(first, first + count))


COURSE_COLUMNS = ", ".join(CourseRow.__struct_fields__)
_CONTENT_COUNT = len(CONTENT_FIELDS)
# Every time a partner sees on its course is the caller's `now` (a sandbox partner's test clock), never SQL's now():
# $1 the id, $2 the partner, $3 now (created_at and updated_at), then the content fields in CONTENT_FIELDS order.
INSERT_COURSE = f"""
INSERT INTO courses (id, partner_id, created_at, updated_at, {", ".join(CONTENT_FIELDS)})
VALUES ($1, $2, $3, $3, {_placeholders(4, _CONTENT_COUNT)})
RETURNING {COURSE_COLUMNS}
"""
SELECT_OWN_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 AND partner_id = $2"
LOCK_OWN_COURSE = f"{SELECT_OWN_COURSE} FOR UPDATE"
LOCK_COURSE = f"SELECT {COURSE_COLUMNS} FROM courses WHERE id = $1 FOR UPDATE"
# $1 the course, then the content fields in CONTENT_FIELDS order, then the pending revision, its queue time, and now.
UPDATE_CONTENT = f"""
UPDATE courses
   SET {", ".join(f"{name} = ${n}" for n, name in enumerate(CONTENT_FIELDS, 2))},
       pending_revision = ${_CONTENT_COUNT + 2}::jsonb, revision_submitted_at = ${_CONTENT_COUNT + 3},
       version = version + 1, updated_at = ${_CONTENT_COUNT + 4}
 WHERE id = $1
RETURNING {COURSE_COLUMNS}
"""
# $1 the course, $2 the new status, $3 now (the course partner's clock).
UPDATE_STATUS = f"""
UPDATE courses
   SET status = $2, version = version + 1, updated_at = $3,
       submitted_at = CASE WHEN $2 = 'submitted' THEN $3 ELSE submitted_at END,
       approved_at = CASE WHEN $2 = 'approved' THEN coalesce(approved_at, $3) ELSE approved_at END,
       pending_revision = CASE WHEN $2 = 'archived' THEN NULL ELSE pending_revision END,
       revision_submitted_at = CASE WHEN $2 = 'archived' THEN NULL ELSE revision_submitted_at END
 WHERE id = $1
RETURNING {COURSE_COLUMNS}
"""
LIST_OWN_COURSES = f"""
SELECT {COURSE_COLUMNS} FROM courses
 WHERE partner_id = $1 AND ($2::text IS NULL OR status = $2)
   AND ($3::timestamptz IS NULL OR updated_at >= $3)
   AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
 ORDER BY created_at, id
 LIMIT $6
"""
INSERT_CURATION_EVENT = """
INSERT INTO course_curation_events (course_id, action, from_status, to_status, reasons, revision, actor_id, at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
"""
SELECT_CURATION_EVENTS = """
SELECT action, from_status, to_status, reasons, at FROM course_curation_events WHERE course_id = $1 ORDER BY id
"""
COUNT_SCHEDULES = "SELECT count(*) FROM schedules WHERE course_id = $1"


# --- rows and views ----------------------------------------------------------------------------------------------


def decoded(row: asyncpg.Record) -> CourseRow:
    """A fetched row of COURSE_COLUMNS as a `CourseRow` (a missing or mistyped column fails here, by name)."""
    return msgspec.convert(dict(row), CourseRow)


def content_values(content: rules.CourseContent) -> list[Any]:
    """`content` as query arguments in CONTENT_FIELDS order."""
    values: list[Any] = []
    for name in CONTENT_FIELDS:
        value = getattr(content, name)
        values.append(list(value) if isinstance(value, tuple) else value)
    return values


def content_from(body: CourseCreate) -> rules.CourseContent:
    """The content a create body asks for, with text trimmed."""
    return rules.CourseContent(**{name: _wanted(name, getattr(body, name)) for name in CONTENT_FIELDS})


def _wanted(name: str, value: Any) -> Any:
    """A content field as a request body gave it, as the domain takes it: text trimmed, the format an enum."""
    if name == "format":
        return rules.CourseFormat(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return tuple(item.strip() if isinstance(item, str) else item for item in value)
    return value


def _pending(row: CourseRow) -> PendingRevision | None:
    terms = row.pending_terms
    if terms is None or row.revision_submitted_at is None:
        return None
    return PendingRevision(**terms, submitted_at=row.revision_submitted_at)


_SHOWN_AS_STORED = tuple(
    name
    for name in Course.__struct_fields__
    if name in CourseRow.__struct_fields__ and name not in ("competencies", "pending_revision")
)


def view(row: CourseRow) -> Course:
    """A course as its partner sees it in lists."""
    fields = {name: getattr(row, name) for name in _SHOWN_AS_STORED}
    return Course(
        **fields,
        competencies=list(row.competencies),
        pending_revision=_pending(row),
        allowed_actions=rules.partner_actions(row.status, row.format),
    )


async def detail(conn: Connection, row: CourseRow) -> CourseDetail:
    """A course with its curation trail and the reasons of its latest rejection."""
    history = [msgspec.convert(dict(r), CurationStep) for r in await conn.fetch(SELECT_CURATION_EVENTS, row.id)]
    rejections = [step for step in history if step.action == "reject"]
    reasons = rejections[-1].reasons if rejections and row.status == rules.CourseStatus.REJECTED else []
    return CourseDetail(**msgspec.structs.asdict(view(row)), rejection_reasons=reasons, curation_history=history)


# --- writes shared with curation ---------------------------------------------------------------------------------


async def write_content(
    conn: Connection,
    course_id: str,
    live: rules.CourseContent,
    revision: dict[str, Any] | None,
    queued_at: datetime | None,
    now: datetime,
) -> CourseRow:
    """Store the content on sale and the pending revision (if any); bumps the version (the ETag)."""
    updated = await conn.fetchrow(
        UPDATE_CONTENT, course_id, *content_values(live), json.dumps(revision) if revision else None, queued_at, now
    )
    assert updated is not None
    return decoded(updated)


async def move(
    conn: Connection,
    actor: Actor,
    row: CourseRow,
    action: str,
    target: rules.CourseStatus,
    now: datetime,
    reasons: tuple[str, ...] = (),
    revision: dict[str, Any] | None = None,
) -> CourseRow:
    """Persist a curation step at `now` (the course partner's clock): the new status, the trail, the audit row."""
    updated = row
    if target != row.status:
        fetched = await conn.fetchrow(UPDATE_STATUS, row.id, target.value, now)
        assert fetched is not None
        updated = decoded(fetched)
    await conn.execute(
        INSERT_CURATION_EVENT,
        row.id,
        action,
        row.status.value,
        target.value,
        list(reasons),
        json.dumps(revision) if revision else None,
        actor.id,
        now,
    )
    await audit.record(
        conn,
        actor,
        f"course.{action}",
        "course",
        row.id,
        before={"status": row.status.value},
        after={"status": target.value, "reasons": list(reasons), "revision": revision},
    )
    return updated


# --- the partner's courses ---------------------------------------------------------------------------------------


async def create_course(
    conn: Connection, actor: Actor, partner_id: str, body: CourseCreate, scheme: Scheme, now: datetime
) -> tuple[CourseDetail, str]:
    """A new draft course of `partner_id`, checked against every course rule; returns it and its ETag."""
    content = content_from(body)
    rules.check_course(content, scheme)
    created = await conn.fetchrow(INSERT_COURSE, new_id("crs"), partner_id, now, *content_values(content))
    assert created is not None
    row = decoded(created)
    course = await detail(conn, row)
    await audit.record(conn, actor, "course.created", "course", row.id, after=view(row))
    return course, row.etag


async def own(conn: Connection, partner_id: str, course_id: str, *, lock: bool) -> CourseRow:
    """One of the partner's courses (locked for update with `lock`); NotFound for anyone else's."""
    row = await conn.fetchrow(LOCK_OWN_COURSE if lock else SELECT_OWN_COURSE, course_id, partner_id)
    if row is None:
        raise NotFound("No such course.")
    return decoded(row)


async def get_course(conn: Connection, partner_id: str, course_id: str) -> tuple[CourseDetail, str]:
    row = await own(conn, partner_id, course_id, lock=False)
    return await detail(conn, row), row.etag


async def list_courses(
    conn: Connection,
    partner_id: str,
    status: str | None,
    limit: int,
    cursor: str | None,
    updated_since: datetime | None = None,
) -> Page[Course]:
    """The partner's courses, oldest first; with `updated_since`, only those changed at or after it."""
    keyset = Keyset.of(cursor, limit)
    fetched = await conn.fetch(LIST_OWN_COURSES, partner_id, status, updated_since, *keyset.arguments)
    rows = [decoded(r) for r in fetched]
    page, next_cursor = keyset.split(rows, lambda row: (row.created_at, row.id))
    return Page(items=[view(row) for row in page], next_cursor=next_cursor)


def _edited(row: CourseRow, patch: CoursePatch) -> rules.CourseContent:
    """The content the partner now wants: live content, with any pending terms, with the patch applied."""
    base = row.content
    pending = row.pending_terms
    if pending is not None:
        base = terms_of(pending).applied_to(base)
    changes = {
        name: _wanted(name, value) for name in CONTENT_FIELDS if (value := getattr(patch, name)) is not msgspec.UNSET
    }
    return dataclasses.replace(base, **changes)


def terms_of(pending: dict[str, Any]) -> rules.CuratedTerms:
    """Stored pending terms as the domain's `CuratedTerms`."""
    return rules.CuratedTerms(
        format=rules.CourseFormat(pending["format"]),
        hours=pending["hours"],
        price=pending["price"],
        modules=pending["modules"],
    )


def require_match(row: CourseRow, if_match: str | None) -> None:
    """Optimistic concurrency: the client must name the version it read."""
    if if_match is None or not if_match.strip():  # an empty If-Match names no ETag: as good as none
        raise PreconditionRequired("Send If-Match with the ETag you read, so edits cannot overwrite each other.")
    if if_match.strip() not in (row.etag, f"W/{row.etag}", "*"):
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
    row = await own(conn, partner_id, course_id, lock=True)
    require_match(row, if_match)
    pending = row.pending_terms
    plan = rules.plan_edit(row.status, row.content, _edited(row, patch), scheme)
    proposed = plan.proposed_terms
    revision = (
        {"format": proposed.format.value, "hours": proposed.hours, "price": proposed.price, "modules": proposed.modules}
        if proposed
        else None
    )
    queued_at = (row.revision_submitted_at if revision == pending else now) if revision else None
    updated = await write_content(conn, course_id, plan.live, revision, queued_at, now)
    await audit.record(conn, actor, "course.updated", "course", course_id, before=view(row), after=view(updated))
    return await detail(conn, updated), updated.etag


async def submit_course(conn: Connection, actor: Actor, partner_id: str, course_id: str, now: datetime) -> CourseDetail:
    """Send a draft or rejected course to curation (scheduled formats need a schedule first)."""
    row = await own(conn, partner_id, course_id, lock=True)
    target = rules.transition(row.status, "submit")
    rules.check_submittable(row.content, await conn.fetchval(COUNT_SCHEDULES, course_id))
    return await detail(conn, await move(conn, actor, row, "submit", target, now))


async def archive_course(
    conn: Connection, actor: Actor, partner_id: str, course_id: str, now: datetime
) -> CourseDetail:
    """Retire a course: it leaves the catalogue; vouchers already sold still run to completion."""
    row = await own(conn, partner_id, course_id, lock=True)
    target = rules.transition(row.status, "archive")
    return await detail(conn, await move(conn, actor, row, "archive", target, now))
