"""Enrollments: created by redemption; attendance, assessment and completion are reported against them.

Each report is one synchronous call whose result is visible at once (the programme's most common
complaint was completions that "did not show up" for days). The rules live in domain/enrollments.py;
here they get their facts, under a row lock on the enrollment.
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.common import Page
from api.schemas.enrollments import Assessment, Attendance, Blocker, CertificateSummary, Enrollment
from api.services import audit, events, schemes
from api.services.audit import Actor
from domain import enrollments as rules
from domain import vouchers as voucher_rules
from domain.certificates import certificate_id_of
from domain.errors import NotFound
from domain.participants import mask_name
from domain.schemes import Scheme

ENROLLMENT_COLUMNS = """
e.id, e.status, e.voucher_code, e.course_id, e.schedule_id, e.learner_ref, e.redeemed_at, e.completed_at,
e.updated_at, e.created_at, e.participant_id, e.partner_id, e.assessment_score, e.assessed_at,
p.name AS participant_name, p.scheme, c.format AS course_format, c.hours AS course_hours, c.modules,
s.sessions, cert.id AS certificate_id, cert.number AS certificate_number, cert.issued_at AS certificate_issued_at,
cert.status AS certificate_status, cert.verification_url
"""
ENROLLMENT_FROM = """
FROM enrollments e
JOIN participants p ON p.id = e.participant_id
JOIN courses c ON c.id = e.course_id
LEFT JOIN schedules s ON s.id = e.schedule_id
LEFT JOIN certificates cert ON cert.enrollment_id = e.id
"""
SELECT_PARTNER_ENROLLMENT = f"SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM} WHERE e.id = $1 AND e.partner_id = $2"
# Redemption creates the enrollment and reads it back as GET shows it, in one statement (no attendance yet).
INSERT_ENROLLMENT = f"""
WITH e AS (
    INSERT INTO enrollments (id, voucher_code, partner_id, course_id, schedule_id, participant_id, learner_ref,
                             redeemed_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)
    RETURNING *
)
SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM.replace("FROM enrollments e", "FROM e", 1)}
"""
LOCK_PARTNER_ENROLLMENT = f"{SELECT_PARTNER_ENROLLMENT} FOR UPDATE OF e"
SELECT_ATTENDANCE = "SELECT sequence, attended_at FROM attendance WHERE enrollment_id = $1 ORDER BY sequence"
LIST_ENROLLMENTS = f"""
SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM}
 WHERE e.partner_id = $1
   AND ($2::text IS NULL OR e.status = $2)
   AND ($3::text IS NULL OR e.course_id = $3)
   AND ($4::timestamptz IS NULL OR e.updated_at >= $4)
   AND ($5::timestamptz IS NULL OR (e.updated_at, e.id) > ($5, $6))
 ORDER BY e.updated_at, e.id
 LIMIT $7
"""
SELECT_ATTENDANCE_FOR = """
SELECT enrollment_id, sequence, attended_at FROM attendance WHERE enrollment_id = any($1::text[]) ORDER BY sequence
"""
INSERT_ATTENDANCE = """
INSERT INTO attendance (enrollment_id, sequence, attended_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""
# `updated_at` is the partner's now: its test clock in the sandbox, so `updated_since` works in test-clock time.
TOUCH = "UPDATE enrollments SET updated_at = $2 WHERE id = $1"
SET_ASSESSMENT = "UPDATE enrollments SET assessment_score = $2, assessed_at = $3, updated_at = $4 WHERE id = $1"
COMPLETE = "UPDATE enrollments SET status = 'completed', completed_at = $2, updated_at = $3 WHERE id = $1"
COMPLETE_VOUCHER = "UPDATE vouchers SET status = $2, closed_at = $3, updated_at = now() WHERE code = $1"


# --- facts and views ---------------------------------------------------------------------------------------------


def _session_starts(row: asyncpg.Record) -> dict[int, datetime] | None:
    if row["sessions"] is None:
        return None
    return {s["sequence"]: datetime.fromisoformat(s["starts_at"]) for s in json.loads(row["sessions"])}


def required_sequences(row: asyncpg.Record) -> int:
    """Sessions of the schedule (scheduled formats) or modules (self-paced) to attend."""
    if row["sessions"] is not None:
        return len(json.loads(row["sessions"]))
    return int(row["modules"] or 1)


def facts_of(row: asyncpg.Record, attendance: list[Attendance]) -> rules.EnrollmentFacts:
    """What the learning rules read about one enrollment, from its row and attendance."""
    return rules.EnrollmentFacts(
        status=rules.EnrollmentStatus(row["status"]),
        course_format=row["course_format"],
        course_hours=row["course_hours"],
        required_sequences=required_sequences(row),
        attended_sequences=frozenset(a.sequence for a in attendance),
        session_starts=_session_starts(row),
        assessment_score=row["assessment_score"],
        redeemed_at=row["redeemed_at"],
        completed_at=row["completed_at"],
        has_certificate=row["certificate_id"] is not None,
    )


def _certificate(row: asyncpg.Record) -> CertificateSummary | None:
    if row["certificate_id"] is None:
        return None
    return CertificateSummary(
        id=certificate_id_of(row["certificate_id"]),
        number=row["certificate_number"],
        issued_at=row["certificate_issued_at"],
        status=row["certificate_status"],
        verification_url=row["verification_url"],
    )


async def create(
    conn: Connection, voucher: asyncpg.Record, learner_ref: str, scheme: Scheme, now: datetime
) -> Enrollment:
    """The enrollment a redemption of `voucher` creates, as its partner sees it (asyncpg.UniqueViolationError
    when the voucher or the learner's course is taken)."""
    row = await conn.fetchrow(
        INSERT_ENROLLMENT,
        new_id("enr"),
        voucher["code"],
        voucher["partner_id"],
        voucher["course_id"],
        voucher["schedule_id"],
        voucher["participant_id"],
        learner_ref,
        now,
    )
    assert row is not None
    return view(row, [], scheme, now)


def view(row: asyncpg.Record, attendance: list[Attendance], scheme: Scheme, now: datetime) -> Enrollment:
    """An enrollment as its partner sees it: progress, what blocks completion, and what can be done now."""
    facts = facts_of(row, attendance)
    assessment = (
        Assessment(score=row["assessment_score"], assessed_at=row["assessed_at"])
        if row["assessment_score"] is not None
        else None
    )
    return Enrollment(
        id=row["id"],
        status=row["status"],
        voucher_code=row["voucher_code"],
        course_id=row["course_id"],
        schedule_id=row["schedule_id"],
        learner_ref=row["learner_ref"],
        participant_name_masked=mask_name(row["participant_name"]),
        redeemed_at=row["redeemed_at"],
        attendance=attendance,
        required_sessions=facts.required_sequences,
        assessment=assessment,
        completed_at=row["completed_at"],
        certificate=_certificate(row),
        blockers=[
            Blocker(code=b.code.value, message=b.message, earliest_completion_at=b.earliest)
            for b in rules.completion_blockers(facts, scheme, now)
        ],
        allowed_actions=[a.value for a in rules.allowed_actions(facts, scheme, now)],
        updated_at=row["updated_at"],
    )


async def _attendance(conn: Connection, enrollment_id: str) -> list[Attendance]:
    return [
        Attendance(sequence=r["sequence"], attended_at=r["attended_at"])
        for r in await conn.fetch(SELECT_ATTENDANCE, enrollment_id)
    ]


async def _row(conn: Connection, partner_id: str, enrollment_id: str, *, lock: bool) -> asyncpg.Record:
    row = await conn.fetchrow(LOCK_PARTNER_ENROLLMENT if lock else SELECT_PARTNER_ENROLLMENT, enrollment_id, partner_id)
    if row is None:
        raise NotFound("No such enrollment.")
    return row


async def _view_of(conn: Connection, row: asyncpg.Record, now: datetime) -> Enrollment:
    scheme = await schemes.scheme_by_code(conn, row["scheme"])
    return view(row, await _attendance(conn, row["id"]), scheme, now)


async def get_for_partner(conn: Connection, partner_id: str, enrollment_id: str, now: datetime) -> Enrollment:
    """One of the partner's enrollments; another partner's does not exist (404)."""
    return await _view_of(conn, await _row(conn, partner_id, enrollment_id, lock=False), now)


async def list_for_partner(
    conn: Connection,
    partner_id: str,
    status: str | None,
    course_id: str | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page[Enrollment]:
    """The partner's enrollments in the order they last changed: an incremental sync resumes with the cursor
    or with `updated_since` set to the last `updated_at` it saw."""
    after = decode_cursor(cursor)
    rows = await conn.fetch(
        LIST_ENROLLMENTS,
        partner_id,
        status,
        course_id,
        updated_since,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    page = rows[:limit]
    attendance: dict[str, list[Attendance]] = {r["id"]: [] for r in page}
    for a in await conn.fetch(SELECT_ATTENDANCE_FOR, list(attendance)):
        attendance[a["enrollment_id"]].append(Attendance(sequence=a["sequence"], attended_at=a["attended_at"]))
    items = [view(r, attendance[r["id"]], await schemes.scheme_by_code(conn, r["scheme"]), now) for r in page]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor(last["updated_at"], last["id"]) if last else None)


# --- reports -----------------------------------------------------------------------------------------------------


async def record_attendance(
    conn: Connection,
    actor: Actor,
    partner_id: str,
    enrollment_id: str,
    sequence: int,
    attended_at: datetime,
    now: datetime,
) -> Enrollment:
    """Session or module `sequence` attended; idempotent by sequence (the first report's time stands)."""
    row = await _row(conn, partner_id, enrollment_id, lock=True)
    attendance = await _attendance(conn, enrollment_id)
    outcome = rules.check_attendance(facts_of(row, attendance), sequence, attended_at, now)
    if outcome is rules.AttendanceOutcome.RECORDED:
        await conn.execute(INSERT_ATTENDANCE, enrollment_id, sequence, attended_at)
        await conn.execute(TOUCH, enrollment_id, now)
        await audit.record(
            conn,
            actor,
            "enrollment.attendance_recorded",
            "enrollment",
            enrollment_id,
            after={"sequence": sequence, "attended_at": attended_at},
        )
    return await _view_of(conn, await _row(conn, partner_id, enrollment_id, lock=False), now)


async def record_assessment(
    conn: Connection,
    actor: Actor,
    partner_id: str,
    enrollment_id: str,
    score: int,
    assessed_at: datetime,
    now: datetime,
) -> Enrollment:
    """The final assessment ("unjuk keterampilan"); it may be corrected until completion."""
    row = await _row(conn, partner_id, enrollment_id, lock=True)
    rules.check_assessment(facts_of(row, await _attendance(conn, enrollment_id)), score, assessed_at, now)
    await conn.execute(SET_ASSESSMENT, enrollment_id, score, assessed_at, now)
    await audit.record(
        conn,
        actor,
        "enrollment.assessment_recorded",
        "enrollment",
        enrollment_id,
        before={"score": row["assessment_score"]},
        after={"score": score, "assessed_at": assessed_at},
    )
    return await _view_of(conn, await _row(conn, partner_id, enrollment_id, lock=False), now)


async def complete(
    conn: Connection, actor: Actor, partner_id: str, enrollment_id: str, completed_at: datetime, now: datetime
) -> Enrollment:
    """Complete the enrollment when every rule allows it; the voucher becomes `completed`."""
    row = await _row(conn, partner_id, enrollment_id, lock=True)
    scheme = await schemes.scheme_by_code(conn, row["scheme"])
    rules.check_completion(facts_of(row, await _attendance(conn, enrollment_id)), completed_at, scheme, now)
    voucher_status = voucher_rules.next_voucher_status(
        voucher_rules.VoucherStatus.REDEEMED, voucher_rules.VoucherAction.COMPLETE
    )
    await conn.execute(COMPLETE, enrollment_id, completed_at, now)
    await conn.execute(COMPLETE_VOUCHER, row["voucher_code"], voucher_status.value, completed_at)
    completed = await _view_of(conn, await _row(conn, partner_id, enrollment_id, lock=False), now)
    await audit.record(
        conn, actor, "enrollment.completed", "enrollment", enrollment_id, after={"completed_at": completed_at}
    )
    await events.emit(conn, partner_id, "enrollment.completed", "enrollment", enrollment_id, completed)
    return completed
