"""The incumbent's redeem-code API on our services: `status` reads a voucher, `commit` redeems it.

Nothing here decides a rule. A commit is `vouchers.redeem`, the very call behind POST /v1/vouchers/{code}/redeem,
in the request's transaction, so the voucher lock, the two walls of exactly-once, the settlement line, the audit
row and the `voucher.redeemed` event are the same. This module adds only what the incumbent's clients need
without an Idempotency-Key: a note of which redemptions came through here (`integration_commits`, written in the
same transaction), so that a blind retry by the same partner answers with the same enrollment, while a code
redeemed any other way stays "already used".
"""

from __future__ import annotations

from datetime import datetime

from api.auth.integration_signatures import IntegrationCaller
from api.http.dependencies import Connection
from api.schemas.compatibility import (
    POST_TEST_SEQUENCE,
    RedeemCodeCommitted,
    RedeemCodeStatus,
    ScheduleSummary,
)
from api.schemas.enrollments import Enrollment
from api.services import enrollments, vouchers
from api.services.audit import Actor
from domain import vouchers as voucher_rules
from domain.errors import FieldProblem, ValidationFailed, VoucherAlreadyRedeemed

COURSE_AND_SCHEDULE = """
SELECT c.title, s.id AS schedule_id, s.starts_at, s.ends_at
  FROM courses c LEFT JOIN schedules s ON s.id = $2 AND s.course_id = c.id
 WHERE c.id = $1
"""
RECORD_COMMIT = """
INSERT INTO integration_commits (voucher_code, partner_id, client_code, enrollment_id, committed_at)
VALUES ($1, $2, $3, $4, $5)
"""
OWN_COMMIT = "SELECT enrollment_id FROM integration_commits WHERE voucher_code = $1 AND partner_id = $2"


def learner_ref_for(code: str) -> str:
    """The learner account a commit links the voucher to: the incumbent's API names none, and the code is unique,
    so one learner per code never trips "this learner already redeemed this course"."""
    return f"redeem_code:{code}"


async def status(conn: Connection, partner_id: str, code: str, now: datetime) -> RedeemCodeStatus:
    """The code's state, course, schedule and masked participant; another partner's code does not exist (404)."""
    voucher = await vouchers.get_for_partner(conn, partner_id, code, now)
    row = await conn.fetchrow(COURSE_AND_SCHEDULE, voucher.course_id, voucher.schedule_id)
    assert row is not None
    schedule = (
        ScheduleSummary(id=row["schedule_id"], starts_at=row["starts_at"], ends_at=row["ends_at"])
        if row["schedule_id"] is not None
        else None
    )
    return RedeemCodeStatus(
        redeem_code=voucher.code,
        status=voucher.status,
        usable=voucher_rules.VoucherAction.REDEEM in voucher.allowed_actions,
        course_id=voucher.course_id,
        course_title=row["title"],
        schedule=schedule,
        participant_name_masked=voucher.participant.name_masked,
        expires_at=voucher.expires_at,
        redeemed_at=voucher.redeemed_at,
    )


async def commit(
    conn: Connection, actor: Actor, caller: IntegrationCaller, code: str, sequence: int | None, now: datetime
) -> RedeemCodeCommitted:
    """Redeem the code exactly once (a retry of this partner's own commit answers the same enrollment), then, when
    `sequence` is given, record that session or module attended now. Both happen, or neither."""
    if sequence == POST_TEST_SEQUENCE:
        raise ValidationFailed(
            "Sequence 999 (the post-test) is not taken here: report the assessment with "
            "PUT /v1/enrollments/{enrollment_id}/assessment.",
            problems=(FieldProblem("sequence", "999 (post-test) is not supported"),),
        )
    enrollment = await _redeem_or_find_own(conn, actor, caller, code, now)
    if sequence is not None:
        enrollment = await enrollments.record_attendance(
            conn, actor, caller.partner_id, enrollment.id, sequence, now, now
        )
    shown = await status(conn, caller.partner_id, code, now)
    return RedeemCodeCommitted(
        **{f: getattr(shown, f) for f in RedeemCodeStatus.__struct_fields__},
        enrollment_id=enrollment.id,
        learner_ref=enrollment.learner_ref,
        attended_sequences=[a.sequence for a in enrollment.attendance],
    )


async def _redeem_or_find_own(
    conn: Connection, actor: Actor, caller: IntegrationCaller, code: str, now: datetime
) -> Enrollment:
    try:
        # A savepoint: a constraint violation inside the redemption must leave the transaction usable for the
        # lookup below (the voucher lock makes that rare; the UNIQUE on enrollments is the second wall).
        async with conn.transaction():
            enrollment = await vouchers.redeem(conn, actor, caller.partner_id, code, learner_ref_for(code), now)
            await conn.execute(RECORD_COMMIT, code, caller.partner_id, caller.client_code, enrollment.id, now)
            return enrollment
    except VoucherAlreadyRedeemed:
        # Read after the failed redemption: it waited for the winner's lock, so the winner has committed.
        own = await conn.fetchval(OWN_COMMIT, code, caller.partner_id)
        if own is None:
            raise
        return await enrollments.get_for_partner(conn, caller.partner_id, own, now)
