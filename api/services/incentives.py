"""The post-training incentive: eligibility is an event recorded exactly once per participant, not a payment."""

from __future__ import annotations

from api.http.dependencies import Connection
from api.services import audit, disbursements, events, schemes
from api.services.audit import Actor
from domain import incentives as rules
from domain.errors import NotFound

LOCK_PARTICIPANT = "SELECT id, scheme, reviewed_at FROM participants WHERE id = $1 FOR UPDATE"
FIRST_CERTIFIED_COMPLETION = """
SELECT e.id, e.partner_id FROM enrollments e
  JOIN certificates x ON x.enrollment_id = e.id AND x.status = 'valid'
  JOIN vouchers v ON v.code = e.voucher_code AND v.status = 'completed'
 WHERE e.participant_id = $1 AND e.status = 'completed'
 ORDER BY e.completed_at, e.id LIMIT 1
"""
ALREADY_ELIGIBLE = "SELECT 1 FROM incentives WHERE participant_id = $1"
INSERT_INCENTIVE = """
INSERT INTO incentives (participant_id, enrollment_id, scheme, amount_per_payment, payments)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (participant_id) DO NOTHING RETURNING eligible_at
"""
RECORD_REVIEW = "UPDATE participants SET reviewed_at = coalesce(reviewed_at, now()), updated_at = now() WHERE id = $1"


async def decide(conn: Connection, actor: Actor, participant_id: str) -> bool:
    """Record eligibility if the participant just became eligible; True when this call recorded it.

    The participant row is locked first, so a review and a certificate arriving together are decided one
    after the other, and the primary key of `incentives` refuses a second record whatever happens above.
    """
    participant = await conn.fetchrow(LOCK_PARTICIPANT, participant_id)
    if participant is None:
        return False
    completion = await conn.fetchrow(FIRST_CERTIFIED_COMPLETION, participant_id)
    scheme = await schemes.scheme_by_code(conn, participant["scheme"])
    decision = rules.eligibility(
        has_completed_with_certificate=completion is not None,
        has_review=participant["reviewed_at"] is not None,
        already_eligible=await conn.fetchval(ALREADY_ELIGIBLE, participant_id) is not None,
        scheme=scheme,
    )
    if decision is None or completion is None:
        return False
    eligible_at = await conn.fetchval(
        INSERT_INCENTIVE,
        participant_id,
        completion["id"],
        decision.scheme_code,
        decision.amount_per_payment,
        decision.payments,
    )
    if eligible_at is None:
        return False
    await disbursements.plan_transfers(
        conn, participant_id, decision.amount_per_payment, decision.payments, eligible_at
    )
    data = {
        "participant_id": participant_id,
        "enrollment_id": completion["id"],
        "scheme": decision.scheme_code,
        "amount_per_payment": decision.amount_per_payment,
        "payments": decision.payments,
        "total": decision.total,
        "eligible_at": eligible_at,
    }
    await audit.record(conn, actor, "participant.incentive_eligible", "participant", participant_id, after=data)
    await events.emit(conn, None, "participant.incentive_eligible", "participant", participant_id, data)
    return True


async def record_review(conn: Connection, actor: Actor, participant_id: str) -> None:
    """The programme recorded the participant's review (the first one counts); eligibility may follow."""
    if await conn.fetchrow(LOCK_PARTICIPANT, participant_id) is None:
        raise NotFound("No such participant.")
    await conn.execute(RECORD_REVIEW, participant_id)
    await audit.record(conn, actor, "participant.reviewed", "participant", participant_id)
    await decide(conn, actor, participant_id)
