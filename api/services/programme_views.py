"""Read-only views the programme's staff need: the daily dashboard, a course under review, a voucher's history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec

from api.http.dependencies import Connection
from api.schemas.audit import ACTION, ACTOR_TYPE, AFTER, AT, BEFORE
from api.schemas.common import Page, described
from api.schemas.courses import CourseDetail, Schedule
from api.schemas.enrollments import Enrollment
from api.services import courses, enrollments, schedules
from domain.errors import NotFound

# The programme runs on Western Indonesia Time: "today" is a day in Jakarta.
PROGRAMME_TIME_ZONE = "Asia/Jakarta"
MAX_DAYS = 90

DAILY_DASHBOARD = f"""
WITH days AS (
    SELECT generate_series(($1::timestamptz AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date - ($2::int - 1),
                           ($1::timestamptz AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date, interval '1 day')::date AS day
),
sales AS (
    SELECT (sold_at AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date AS day, count(*) AS n
      FROM vouchers WHERE sold_at >= $3 GROUP BY 1
),
redemptions AS (
    SELECT (redeemed_at AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date AS day, count(*) AS n
      FROM vouchers WHERE redeemed_at >= $3 GROUP BY 1
),
completions AS (
    SELECT (completed_at AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date AS day, count(*) AS n
      FROM enrollments WHERE completed_at >= $3 GROUP BY 1
),
issued AS (
    SELECT (issued_at AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date AS day, count(*) AS n
      FROM certificates WHERE issued_at >= $3 GROUP BY 1
),
money AS (
    SELECT (created_at AT TIME ZONE '{PROGRAMME_TIME_ZONE}')::date AS day,
           coalesce(sum(amount) FILTER (WHERE kind = 'grant'), 0) AS granted,
           coalesce(sum(amount) FILTER (WHERE kind = 'purchase'), 0)
             - coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS spent
      FROM ledger_entries WHERE created_at >= $3 GROUP BY 1
)
SELECT d.day, coalesce(s.n, 0) AS sales, coalesce(r.n, 0) AS redemptions, coalesce(c.n, 0) AS completions,
       coalesce(i.n, 0) AS certificates,
       coalesce(m.granted, 0)::bigint AS granted, coalesce(m.spent, 0)::bigint AS spent
  FROM days d
  LEFT JOIN sales s USING (day) LEFT JOIN redemptions r USING (day) LEFT JOIN completions c USING (day)
  LEFT JOIN issued i USING (day) LEFT JOIN money m USING (day)
 ORDER BY d.day
"""
SELECT_COURSE_OWNER = "SELECT partner_id FROM courses WHERE id = $1"
SELECT_ENROLLMENT_OWNER = "SELECT partner_id FROM enrollments WHERE id = $1"
VOUCHER_HISTORY = """
SELECT id, at, actor_type, actor_id, action, before, after FROM audit_log
 WHERE entity_type = 'voucher' AND entity_id = $1 ORDER BY id
"""


class DashboardDay(msgspec.Struct, kw_only=True):
    """One day (in Jakarta) of the programme: vouchers sold and redeemed, completions, certificates, money."""

    day: Annotated[date, described("The calendar day in Asia/Jakarta (`YYYY-MM-DD`).")]
    sales: Annotated[int, described("Vouchers sold that day.")]
    redemptions: Annotated[int, described("Vouchers redeemed that day.")]
    completions: Annotated[int, described("Enrollments completed that day.")]
    certificates: Annotated[int, described("Certificates issued that day.")]
    granted: Annotated[int, described("Training balances granted that day, in integer rupiah.")]
    spent: Annotated[int, described("Course prices paid that day net of refunds, in integer rupiah.")]


class Dashboard(msgspec.Struct, kw_only=True):
    today: Annotated[DashboardDay, described("Today so far (the last of `days`).")]
    days: Annotated[list[DashboardDay], described("The last days, oldest first, ending today.")]


class CourseUnderReview(msgspec.Struct, kw_only=True):
    """A course as its reviewer sees it: the partner's view, with every schedule and its sessions."""

    course: Annotated[CourseDetail, described("The course as its partner sees it, with its curation history.")]
    schedules: Annotated[list[Schedule], described("Every schedule of the course, by start.")]


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One change of the voucher, from the audit trail, oldest first."""

    id: Annotated[int, described("The audit entry's id.")]
    at: Annotated[datetime, AT]
    actor_type: Annotated[str, ACTOR_TYPE]
    actor_id: Annotated[
        str | None, described("The client id, staff id or job name that acted; null when none is recorded.")
    ]
    action: Annotated[str, ACTION]
    before: Annotated[Any, BEFORE]
    after: Annotated[Any, AFTER]


async def dashboard(conn: Connection, now: datetime, days: int) -> Dashboard:
    """The last `days` days, oldest first, ending today; money in rupiah (spent = purchases net of refunds)."""
    rows = await conn.fetch(DAILY_DASHBOARD, now, days, now - timedelta(days=days + 1))
    series = [msgspec.convert(dict(r), DashboardDay) for r in rows]
    return Dashboard(today=series[-1], days=series)


async def course_under_review(conn: Connection, course_id: str) -> CourseUnderReview:
    """Any partner's course with its curation history and schedules (404 when there is no such course)."""
    partner_id = await conn.fetchval(SELECT_COURSE_OWNER, course_id)
    if partner_id is None:
        raise NotFound("No such course.")
    detail, _ = await courses.get_course(conn, partner_id, course_id)
    return CourseUnderReview(course=detail, schedules=await schedules.list_schedules(conn, partner_id, course_id))


async def voucher_history(conn: Connection, code: str) -> list[HistoryEntry]:
    """Every audit entry of a voucher, oldest first (sale, redemption, cancellation, fraud flag...)."""
    if await conn.fetchval("SELECT 1 FROM vouchers WHERE code = $1", code) is None:
        raise NotFound("No such voucher.")
    rows = await conn.fetch(VOUCHER_HISTORY, code)
    return [
        msgspec.convert({**dict(r), "before": _json(r["before"]), "after": _json(r["after"])}, HistoryEntry)
        for r in rows
    ]


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str) else value


async def enrollment_owner(conn: Connection, enrollment_id: str) -> str:
    """The partner whose enrollment this is (404 when there is no such enrollment)."""
    partner_id = await conn.fetchval(SELECT_ENROLLMENT_OWNER, enrollment_id)
    if partner_id is None:
        raise NotFound("No such enrollment.")
    return str(partner_id)


async def enrollment(conn: Connection, enrollment_id: str, partner_id: str, now: datetime) -> Enrollment:
    """Any partner's enrollment as that partner sees it: progress, attendance, assessment, certificate."""
    return await enrollments.get_for_partner(conn, partner_id, enrollment_id, now)


async def partner_enrollments(
    conn: Connection,
    partner_id: str,
    status: str | None,
    course_id: str | None,
    updated_since: datetime | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page[Enrollment]:
    """One partner's enrollments, as the partner's own list shows them (cursor pagination)."""
    return await enrollments.list_for_partner(conn, partner_id, status, course_id, updated_since, limit, cursor, now)
