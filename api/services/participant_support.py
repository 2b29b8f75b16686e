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
       v.redeemed_at, v.closed_at
  FROM vouchers v JOIN courses c ON c.id = v.course_id
 WHERE v.participant_id = $1 ORDER BY v.sold_at DESC
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


async def vouchers_of(conn: Connection, participant_id: str) -> list[ParticipantVoucher]:
    """Every voucher a participant bought, newest first (404 for an unknown participant)."""
    if await conn.fetchval("SELECT 1 FROM participants WHERE id = $1", participant_id) is None:
        raise NotFound("No such participant.")
    rows = await conn.fetch(PARTICIPANT_VOUCHERS, participant_id)
    return [msgspec.convert(dict(r), ParticipantVoucher) for r in rows]
