"""What support staff need to help one participant: search, and the participant's vouchers at a glance."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.schemas.participants import Participant
from api.services.participants import PARTICIPANT_COLUMNS
from domain.errors import NotFound

SEARCH_LIMIT = 20
SEARCH_PARTICIPANTS = f"""
SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN balances b ON b.participant_id = p.id
 WHERE ($1::text IS NOT NULL AND (upper(p.programme_number) = upper($1) OR lower(p.email) = lower($1)
                                  OR p.name ILIKE '%' || $2 || '%'))
    OR ($3::bytea IS NOT NULL AND p.nik_hash = $3)
 ORDER BY p.created_at, p.id LIMIT $4
"""
PARTICIPANT_VOUCHERS = """
SELECT v.code, v.status, v.course_id, c.title AS course_title, v.partner_id, v.amount, v.sold_at, v.expires_at,
       v.redeemed_at, v.closed_at,
       e.id AS enrollment_id, e.status AS enrollment_status, e.completed_at, e.assessment_score,
       (SELECT count(*) FROM attendance a WHERE a.enrollment_id = e.id) AS sessions_attended,
       ct.number AS certificate_number, ct.status AS certificate_status
  FROM vouchers v JOIN courses c ON c.id = v.course_id
  LEFT JOIN enrollments e ON e.voucher_code = v.code
  LEFT JOIN certificates ct ON ct.enrollment_id = e.id
 WHERE v.participant_id = $1 ORDER BY v.sold_at DESC
"""
SELECT_INCENTIVE = """
SELECT p.reviewed_at, i.enrollment_id, i.scheme, i.amount_per_payment, i.payments, i.eligible_at
  FROM participants p LEFT JOIN incentives i ON i.participant_id = p.id WHERE p.id = $1
"""


class ParticipantVoucher(msgspec.Struct, kw_only=True):
    code: str
    status: str
    course_id: str
    course_title: str
    partner_id: str
    amount: int
    sold_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    closed_at: datetime | None
    enrollment_id: str | None
    enrollment_status: str | None
    sessions_attended: int
    assessment_score: int | None
    completed_at: datetime | None
    certificate_number: str | None
    certificate_status: str | None


class IncentiveStatus(msgspec.Struct, kw_only=True):
    """Whether the participant earned the post-training incentive (once), and its terms."""

    eligible: bool
    reviewed_at: datetime | None
    enrollment_id: str | None
    scheme: str | None
    amount_per_payment: int | None
    payments: int | None
    eligible_at: datetime | None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(conn: Connection, hasher: NationalIdHasher, q: str | None, nik: str | None) -> list[Participant]:
    """Participants whose programme number or e-mail is `q` (any case) or whose name contains it, or whose NIK is
    exactly `nik` (compared as the keyed hash; the NIK itself is never stored)."""
    text = q.strip() if q and q.strip() else None
    nik_hash = hasher.hash(nik.strip()) if nik and nik.strip() else None
    if text is None and nik_hash is None:
        return []
    rows = await conn.fetch(SEARCH_PARTICIPANTS, text, _like_escaped(text) if text else None, nik_hash, SEARCH_LIMIT)
    return [msgspec.convert(dict(r), Participant) for r in rows]


async def incentive_of(conn: Connection, participant_id: str) -> IncentiveStatus:
    """The participant's incentive eligibility (404 for an unknown participant)."""
    row = await conn.fetchrow(SELECT_INCENTIVE, participant_id)
    if row is None:
        raise NotFound("No such participant.")
    return msgspec.convert({**dict(row), "eligible": row["eligible_at"] is not None}, IncentiveStatus)


async def vouchers_of(conn: Connection, participant_id: str) -> list[ParticipantVoucher]:
    """Every voucher a participant bought, newest first, with its training (progress, assessment, completion)
    and certificate (404 for an unknown participant)."""
    if await conn.fetchval("SELECT 1 FROM participants WHERE id = $1", participant_id) is None:
        raise NotFound("No such participant.")
    rows = await conn.fetch(PARTICIPANT_VOUCHERS, participant_id)
    return [msgspec.convert(dict(r), ParticipantVoucher) for r in rows]
