"""Enrollments: created by redemption; learning progress is reported against them."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from api.dependencies import Connection
from api.schemas.enrollments import Enrollment
from domain.errors import NotFound
from domain.participants import mask_name

ENROLLMENT_COLUMNS = """
e.id, e.status, e.voucher_code, e.course_id, e.schedule_id, e.learner_ref, e.redeemed_at, e.completed_at,
e.updated_at, p.name AS participant_name, c.format AS course_format, c.modules,
coalesce(jsonb_array_length(s.sessions), c.modules, 0) AS required_sessions
"""
ENROLLMENT_FROM = """
FROM enrollments e
JOIN participants p ON p.id = e.participant_id
JOIN courses c ON c.id = e.course_id
LEFT JOIN schedules s ON s.id = e.schedule_id
"""
SELECT_PARTNER_ENROLLMENT = f"SELECT {ENROLLMENT_COLUMNS} {ENROLLMENT_FROM} WHERE e.id = $1 AND e.partner_id = $2"


def _enrollment(row: asyncpg.Record) -> Enrollment:
    return Enrollment(
        id=row["id"],
        status=row["status"],
        voucher_code=row["voucher_code"],
        course_id=row["course_id"],
        schedule_id=row["schedule_id"],
        learner_ref=row["learner_ref"],
        participant_name_masked=mask_name(row["participant_name"]),
        redeemed_at=row["redeemed_at"],
        attendance=[],
        required_sessions=row["required_sessions"],
        assessment=None,
        completed_at=row["completed_at"],
        certificate=None,
        blockers=[],
        allowed_actions=[],
        updated_at=row["updated_at"],
    )


async def get_for_partner(conn: Connection, partner_id: str, enrollment_id: str, now: datetime) -> Enrollment:
    """One of the partner's enrollments; another partner's does not exist (404)."""
    row = await conn.fetchrow(SELECT_PARTNER_ENROLLMENT, enrollment_id, partner_id)
    if row is None:
        raise NotFound("No such enrollment.")
    return _enrollment(row)
