"""Enrollments: created by redemption; attendance, assessment and completion are reported against them.

Each report is one synchronous call whose result is visible at once (the programme's most common
complaint was completions that "did not show up" for days). The rules live in domain/enrollments.py;
here they get their facts, under a row lock on the enrollment.

Every report is the redemption path's pattern: one round trip locks the enrollment and reads everything the
rules and the response need (its attendance); one more writes the change, its audit row and its event together
(`api/db/sql.py` `together`). The response is built from what was read and written, never read back:
`updated_at` is the partner's `now` (its test clock in the sandbox), passed in and written, not the database's
`now()`. Lock order: the enrollment, then its voucher.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from api.db.identifiers import new_id
from api.db.sql import together
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.enrollments import Assessment, Attendance, Blocker, CertificateSummary, Enrollment
from api.services import audit, events, participants, schemes
from api.services.audit import Actor
from domain import enrollments as rules
from domain import vouchers as voucher_rules
from domain.certificates import certificate_id_of
from domain.errors import NotFound
from domain.participants import mask_name
from domain.schemes import Scheme


class EnrollmentRow(msgspec.Struct, kw_only=True, frozen=True):
    """An enrollment as this module reads it, with its course, schedule sessions, attendance and certificate."""

    id: str
    status: rules.EnrollmentStatus
    voucher_code: str
    course_id: str
    schedule_id: str | None
    learner_ref: str
    redeemed_at: datetime
    completed_at: datetime | None
    updated_at: datetime
    participant_id: str
    partner_id: str
    assessment_score: int | None
    assessed_at: datetime | None
    participant_name: str
    scheme: str
    course_format: str
    course_hours: int
    modules: int | None
    sessions: str | None
    attended_sequences: list[int]
    attended_times: list[datetime]
    certificate_id: str | None
    certificate_number: str | None
    certificate_issued_at: datetime | None
    certificate_status: str | None
    verification_url: str | None

    @property
    def attendance(self) -> list[Attendance]:
        return [
            Attendance(sequence=sequence, attended_at=at)
            for sequence, at in zip(self.attended_sequences, self.attended_times, strict=True)
        ]


class Redemption(msgspec.Struct, kw_only=True, frozen=True):
    """What redeeming a voucher hands over to create its enrollment."""

    voucher_code: str
    partner_id: str
    course_id: str
    schedule_id: str | None
    participant_id: str


ENROLLMENT_COLUMNS = """
e.id, e.status, e.voucher_code, e.course_id, e.schedule_id, e.learner_ref, e.redeemed_at, e.completed_at,
e.updated_at, e.participant_id, e.partner_id, e.assessment_score, e.assessed_at,
p.name AS participant_name, p.scheme, c.format AS course_format, c.hours AS course_hours, c.modules,
s.sessions,
ARRAY(SELECT a.sequence FROM attendance a WHERE a.enrollment_id = e.id ORDER BY a.sequence) AS attended_sequences,
ARRAY(SELECT a.attended_at FROM attendance a WHERE a.enrollment_id = e.id ORDER BY a.sequence) AS attended_times,
cert.id::text AS certificate_id, cert.number AS certificate_number, cert.issued_at AS certificate_issued_at,
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
# Redemption creates the enrollment and reads it back as GET shows it, in one statement (no attendance yet); it
# raises asyncpg.UniqueViolationError when the voucher or the learner's course is taken. Arguments:
# `insert_arguments`; the row it returns: `inserted`.
INSERT_ENROLLMENT = f"""
WITH e AS (
    INSERT INTO enrollments (id, voucher_code, partner_id, course_id, schedule_id, participant_id, learner_ref,
                             redeemed_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)
    RETURNING *
)
SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM.replace("FROM enrollments e", "FROM e", 1)}
"""
LOCK_PARTNER_ENROLLMENT = f"""
SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM}
 WHERE e.id = $1 AND e.partner_id = $2
   FOR UPDATE OF e
"""
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
INSERT_ATTENDANCE = """
INSERT INTO attendance (enrollment_id, sequence, attended_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""
# `updated_at` is the partner's now: its test clock in the sandbox, so `updated_since` works in test-clock time.
TOUCH = "UPDATE enrollments SET updated_at = $2 WHERE id = $1"
SET_ASSESSMENT = "UPDATE enrollments SET assessment_score = $2, assessed_at = $3, updated_at = $4 WHERE id = $1"
COMPLETE = "UPDATE enrollments SET status = 'completed', completed_at = $2, updated_at = $3 WHERE id = $1"
COMPLETE_VOUCHER = "UPDATE vouchers SET status = $2, closed_at = $3, updated_at = now() WHERE code = $1"
# Each report's writes in one round trip (none reads what another writes; each changes other rows).
ATTENDANCE_WRITES = together(INSERT_ATTENDANCE, TOUCH, audit.INSERT_AUDIT)
ASSESSMENT_WRITES = together(SET_ASSESSMENT, audit.INSERT_AUDIT)
COMPLETION_WRITES = together(COMPLETE, COMPLETE_VOUCHER, audit.INSERT_AUDIT, events.INSERT_EVENT)


# --- facts and views ---------------------------------------------------------------------------------------------


def _session_starts(row: EnrollmentRow) -> dict[int, datetime] | None:
    if row.sessions is None:
        return None
    return {s["sequence"]: datetime.fromisoformat(s["starts_at"]) for s in json.loads(row.sessions)}


def _required_sequences(row: EnrollmentRow) -> int:
    session_count = None if row.sessions is None else len(json.loads(row.sessions))
    return rules.required_sequences(session_count, row.modules)


def facts_of(row: EnrollmentRow) -> rules.EnrollmentFacts:
    """What the learning rules read about one enrollment, from its row."""
    return rules.EnrollmentFacts(
        status=row.status,
        course_format=row.course_format,
        course_hours=row.course_hours,
        required_sequences=_required_sequences(row),
        attended_sequences=frozenset(row.attended_sequences),
        session_starts=_session_starts(row),
        assessment_score=row.assessment_score,
        redeemed_at=row.redeemed_at,
        completed_at=row.completed_at,
        has_certificate=row.certificate_id is not None,
    )


def _certificate(row: EnrollmentRow) -> CertificateSummary | None:
    if row.certificate_id is None:
        return None
    return msgspec.convert(
        {
            "id": certificate_id_of(UUID(row.certificate_id)),
            "number": row.certificate_number,
            "issued_at": row.certificate_issued_at,
            "status": row.certificate_status,
            "verification_url": row.verification_url,
        },
        CertificateSummary,
    )


def view(row: EnrollmentRow, scheme: Scheme, now: datetime) -> Enrollment:
    """An enrollment as its partner sees it: progress, what blocks completion, and what can be done now."""
    facts = facts_of(row)
    blockers = rules.completion_blockers(facts, scheme, now)
    assessment = (
        Assessment(score=row.assessment_score, assessed_at=row.assessed_at)
        if row.assessment_score is not None and row.assessed_at is not None
        else None
    )
    return Enrollment(
        id=row.id,
        status=row.status.value,
        voucher_code=row.voucher_code,
        course_id=row.course_id,
        schedule_id=row.schedule_id,
        learner_ref=row.learner_ref,
        participant_name_masked=mask_name(row.participant_name),
        redeemed_at=row.redeemed_at,
        attendance=row.attendance,
        required_sessions=facts.required_sequences,
        assessment=assessment,
        completed_at=row.completed_at,
        certificate=_certificate(row),
        blockers=[Blocker(code=b.code.value, message=b.message, earliest_completion_at=b.earliest) for b in blockers],
        allowed_actions=[a.value for a in rules.allowed_actions(facts, scheme, now, blockers=blockers)],
        updated_at=row.updated_at,
    )


def insert_arguments(redemption: Redemption, learner_ref: str, now: datetime) -> tuple[Any, ...]:
    """The arguments of INSERT_ENROLLMENT for the enrollment `redemption` creates (a new id)."""
    return (
        new_id("enr"),
        redemption.voucher_code,
        redemption.partner_id,
        redemption.course_id,
        redemption.schedule_id,
        redemption.participant_id,
        learner_ref,
        now,
    )


def inserted(row: asyncpg.Record, scheme: Scheme, now: datetime) -> Enrollment:
    """The enrollment INSERT_ENROLLMENT read back, as its partner sees it."""
    return view(msgspec.convert(dict(row), EnrollmentRow), scheme, now)


async def _locked(conn: Connection, partner_id: str, enrollment_id: str) -> EnrollmentRow:
    row = await conn.fetchrow(LOCK_PARTNER_ENROLLMENT, enrollment_id, partner_id)
    if row is None:
        raise NotFound("No such enrollment.")
    return msgspec.convert(dict(row), EnrollmentRow)


async def get_for_partner(conn: Connection, partner_id: str, enrollment_id: str, now: datetime) -> Enrollment:
    """One of the partner's enrollments; another partner's does not exist (404)."""
    found = await conn.fetchrow(SELECT_PARTNER_ENROLLMENT, enrollment_id, partner_id)
    if found is None:
        raise NotFound("No such enrollment.")
    row = msgspec.convert(dict(found), EnrollmentRow)
    return view(row, await schemes.scheme_by_code(conn, row.scheme), now)


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
    keyset = Keyset.of(cursor, limit)
    fetched = await conn.fetch(LIST_ENROLLMENTS, partner_id, status, course_id, updated_since, *keyset.arguments)
    rows = [msgspec.convert(dict(r), EnrollmentRow) for r in fetched]
    page, next_cursor = keyset.split(rows, lambda row: (row.updated_at, row.id))
    items = [view(row, await schemes.scheme_by_code(conn, row.scheme), now) for row in page]
    return Page(items=items, next_cursor=next_cursor)


# --- reports: two round trips each (the lock and read, then the writes) --------------------------------------


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
    row = await _locked(conn, partner_id, enrollment_id)
    scheme = await schemes.scheme_by_code(conn, row.scheme)
    outcome = rules.check_attendance(facts_of(row), sequence, attended_at, now)
    if outcome is rules.AttendanceOutcome.RECORDED:
        await conn.execute(
            ATTENDANCE_WRITES,
            *(enrollment_id, sequence, attended_at),
            *(enrollment_id, now),
            *audit.arguments(
                actor,
                "enrollment.attendance_recorded",
                "enrollment",
                enrollment_id,
                after={"sequence": sequence, "attended_at": attended_at},
            ),
        )
        attended = sorted(
            [*row.attendance, Attendance(sequence=sequence, attended_at=attended_at.astimezone(UTC))],
            key=lambda a: a.sequence,
        )
        row = msgspec.structs.replace(
            row,
            attended_sequences=[a.sequence for a in attended],
            attended_times=[a.attended_at for a in attended],
            updated_at=now,
        )
    return view(row, scheme, now)


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
    row = await _locked(conn, partner_id, enrollment_id)
    scheme = await schemes.scheme_by_code(conn, row.scheme)
    rules.check_assessment(facts_of(row), score, assessed_at, now)
    await conn.execute(
        ASSESSMENT_WRITES,
        *(enrollment_id, score, assessed_at, now),
        *audit.arguments(
            actor,
            "enrollment.assessment_recorded",
            "enrollment",
            enrollment_id,
            before={"score": row.assessment_score},
            after={"score": score, "assessed_at": assessed_at},
        ),
    )
    assessed = msgspec.structs.replace(
        row, assessment_score=score, assessed_at=assessed_at.astimezone(UTC), updated_at=now
    )
    return view(assessed, scheme, now)


async def complete(
    conn: Connection, actor: Actor, partner_id: str, enrollment_id: str, completed_at: datetime, now: datetime
) -> Enrollment:
    """Complete the enrollment when every rule allows it; the voucher becomes `completed`."""
    row = await _locked(conn, partner_id, enrollment_id)
    scheme = await schemes.scheme_by_code(conn, row.scheme)
    rules.check_completion(facts_of(row), completed_at, scheme, now)
    voucher_status = voucher_rules.next_voucher_status(
        voucher_rules.VoucherStatus.REDEEMED, voucher_rules.VoucherAction.COMPLETE
    )
    completed_row = msgspec.structs.replace(
        row,
        status=rules.EnrollmentStatus.COMPLETED,
        completed_at=completed_at.astimezone(UTC),
        updated_at=now,
    )
    completed = view(completed_row, scheme, now)
    await conn.execute(
        COMPLETION_WRITES,
        *(enrollment_id, completed_at, now),
        *(row.voucher_code, voucher_status.value, completed_at),
        *audit.arguments(
            actor, "enrollment.completed", "enrollment", enrollment_id, after={"completed_at": completed_at}
        ),
        *events.arguments(partner_id, "enrollment.completed", "enrollment", enrollment_id, completed),
    )
    await participants.complete_if_due(conn, actor, row.participant_id, now)
    return completed
