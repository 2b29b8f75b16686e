"""What support staff need to help one participant: search, and the participant's vouchers at a glance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.schemas.common import CourseId, PartnerId, VoucherCode, described
from api.schemas.enrollments import CertificateStatusName, EnrollmentStatusName
from api.schemas.participants import Participant
from api.schemas.vouchers import EXPIRES_AT, REDEEMED_AT, VOUCHER_STATUS, VoucherStatusName
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
    """One of a participant's vouchers with how far its training got, for programme support."""

    code: VoucherCode
    status: Annotated[VoucherStatusName, VOUCHER_STATUS]
    course_id: CourseId
    course_title: Annotated[str, described("The course's title.")]
    partner_id: Annotated[PartnerId, described("The partner whose course it is.")]
    amount: Annotated[int, described("The price paid from the balance, in integer rupiah.")]
    sold_at: Annotated[datetime, described("When the participant bought the course; RFC 3339 in UTC.")]
    expires_at: Annotated[datetime, EXPIRES_AT]
    redeemed_at: Annotated[datetime | None, REDEEMED_AT]
    closed_at: Annotated[
        datetime | None, described("When it became completed, expired, cancelled or fraudulent; null before.")
    ]
    enrollment_id: Annotated[str | None, described("The enrollment its redemption started; null if not redeemed.")]
    enrollment_status: Annotated[
        EnrollmentStatusName | None, described("The enrollment's status; null if not redeemed.")
    ]
    sessions_attended: Annotated[int, described("Sessions (or modules) attended so far; 0 if not redeemed.")]
    assessment_score: Annotated[int | None, described("The final assessment's score, 0 to 100; null if none yet.")]
    completed_at: Annotated[datetime | None, described("When the training was completed; null before.")]
    certificate_number: Annotated[str | None, described("The partner's certificate number; null if none issued.")]
    certificate_status: Annotated[
        CertificateStatusName | None, described("`valid` or `revoked`; null if no certificate was issued.")
    ]


class IncentiveStatus(msgspec.Struct, kw_only=True):
    """Whether the participant earned the post-training incentive (once), and its terms."""

    eligible: Annotated[bool, described("True once the first completion with a certificate made them eligible.")]
    reviewed_at: Annotated[datetime | None, described("When their post-training review was recorded; null before.")]
    enrollment_id: Annotated[str | None, described("The enrollment that earned the incentive; null if not eligible.")]
    scheme: Annotated[str | None, described("The scheme whose incentive terms apply; null if not eligible.")]
    amount_per_payment: Annotated[int | None, described("Integer rupiah per payment; null if not eligible.")]
    payments: Annotated[int | None, described("How many payments (monthly) the incentive has; null if not eligible.")]
    eligible_at: Annotated[datetime | None, described("When they became eligible; null if not. RFC 3339 in UTC.")]


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
