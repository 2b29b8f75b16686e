"""Vouchers: the sale (debit in the same transaction), redemption exactly once, void, cancel, fraud, expiry.

Lock order, the same everywhere so concurrent money movements cannot deadlock: participant, then schedule,
then voucher, then the balance row. Exactly-once redemption has two walls: the voucher row is locked
(FOR UPDATE) before its status is checked, and `enrollments` holds one row per voucher (UNIQUE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from api.db.sql import together
from api.http.dependencies import Connection
from api.schemas.enrollments import Enrollment
from api.schemas.vouchers import MaskedParticipant, ProgrammeVoucher, PurchaseCreate, RedemptionWindow, Voucher
from api.services import audit, enrollments, events, ledger, participants, schemes, statements
from api.services.audit import Actor
from api.services.clock import Clock
from domain import courses as course_rules
from domain import ledger as money
from domain import statements as statement_rules
from domain import voucher_codes
from domain import vouchers as rules
from domain.errors import (
    FieldProblem,
    LearnerAlreadyEnrolled,
    NotFound,
    ValidationFailed,
    VoucherAlreadyRedeemed,
)
from domain.participants import ParticipantStatus, mask_name
from domain.partners import PartnerStatus
from domain.schemes import Scheme

VOUCHER_COLUMNS = """
v.code, v.partner_id, v.course_id, v.schedule_id, v.participant_id, v.amount, v.status, v.sold_at, v.expires_at,
v.redeemed_at, p.name AS participant_name, p.status AS participant_status, p.scheme, c.format AS course_format,
c.status AS course_status, s.starts_at AS schedule_starts_at
"""
VOUCHER_FROM = """
FROM vouchers v
JOIN participants p ON p.id = v.participant_id
JOIN courses c ON c.id = v.course_id
LEFT JOIN schedules s ON s.id = v.schedule_id
"""
SELECT_PARTNER_VOUCHER = f"SELECT {VOUCHER_COLUMNS} {VOUCHER_FROM} WHERE v.code = $1 AND v.partner_id = $2"
LOCK_VOUCHER_FOR_REDEMPTION = f"{SELECT_PARTNER_VOUCHER} FOR UPDATE OF v"
SELECT_VOUCHER = f"SELECT {VOUCHER_COLUMNS} {VOUCHER_FROM} WHERE v.code = $1"
LOCK_VOUCHER = f"{SELECT_VOUCHER} FOR UPDATE OF v"
PURCHASE_COURSE = """
SELECT c.id, c.partner_id, c.status, c.format, c.price, pt.status AS partner_status
  FROM courses c JOIN partners pt ON pt.id = c.partner_id WHERE c.id = $1
"""
LOCK_SCHEDULE = """
SELECT id, starts_at, capacity - seats_sold AS seats_left FROM schedules WHERE id = $1 AND course_id = $2 FOR UPDATE
"""
PURCHASE_HISTORY = """
SELECT count(*) AS vouchers,
       count(*) FILTER (WHERE status IN ('sold', 'redeemed')) AS open_trainings,
       count(*) FILTER (
           WHERE course_id = $2
             AND (status IN ('sold', 'redeemed', 'completed') OR (status = 'fraudulent' AND refunded_at IS NULL))
       ) AS same_course
  FROM vouchers WHERE participant_id = $1
"""
INSERT_VOUCHER = """
INSERT INTO vouchers (code, partner_id, course_id, schedule_id, participant_id, amount, sold_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO NOTHING
RETURNING code
"""
MARK_REFUNDED = "UPDATE vouchers SET refunded_at = $2 WHERE code = $1"
TAKE_SEAT = "UPDATE schedules SET seats_sold = seats_sold + 1 WHERE id = $1"
RELEASE_SEAT = "UPDATE schedules SET seats_sold = seats_sold - 1 WHERE id = $1"
SET_STATUS = """
UPDATE vouchers SET status = $2, updated_at = now(),
       redeemed_at = CASE WHEN $2 = 'redeemed' THEN $3 ELSE redeemed_at END,
       closed_at = CASE WHEN $2 IN ('expired', 'cancelled', 'fraudulent', 'completed') THEN $3 ELSE closed_at END
 WHERE code = $1
"""
# A redemption's writes in one round trip: status, statement line, audit row, event, and the enrollment, which it
# answers with. Either all happen or, when the enrollment's uniqueness refuses it, none (one statement).
REDEEM_WRITES = together(
    SET_STATUS,
    statements.INSERT_PAYABLE_LINE,
    audit.INSERT_AUDIT,
    events.INSERT_EVENT,
    enrollments.INSERT_ENROLLMENT,
)
CANCEL_ENROLLMENT = """
UPDATE enrollments SET status = 'cancelled', updated_at = now() WHERE voucher_code = $1 AND status = 'active'
"""
DUE_FOR_EXPIRY = """
SELECT code, 0::bigint AS offset_seconds FROM vouchers WHERE status = 'sold' AND expires_at < $1
 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
"""
# In the sandbox each partner's vouchers expire by its own test clock (wall clock + offset).
DUE_FOR_EXPIRY_BY_TEST_CLOCKS = """
SELECT v.code, coalesce(k.offset_seconds, 0) AS offset_seconds
  FROM vouchers v LEFT JOIN sandbox_clocks k ON k.partner_id = v.partner_id
 WHERE v.status = 'sold' AND v.expires_at < $1::timestamptz + make_interval(secs => coalesce(k.offset_seconds, 0))
   AND ($3::text IS NULL OR v.partner_id = $3)
 ORDER BY v.expires_at LIMIT $2 FOR UPDATE OF v SKIP LOCKED
"""
MAX_CODE_ATTEMPTS = 5


class VoucherRow(msgspec.Struct, kw_only=True, frozen=True):
    """A row of VOUCHER_COLUMNS: the voucher with what its rules read of its participant, course and schedule."""

    code: str
    partner_id: str
    course_id: str
    schedule_id: str | None
    participant_id: str
    amount: int
    status: rules.VoucherStatus
    sold_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    participant_name: str
    participant_status: ParticipantStatus
    scheme: str
    course_format: str
    course_status: course_rules.CourseStatus
    schedule_starts_at: datetime | None


class CourseOffer(msgspec.Struct, kw_only=True, frozen=True):
    """A row of PURCHASE_COURSE: the course a participant wants to buy, and whether its partner is active."""

    id: str
    partner_id: str
    status: course_rules.CourseStatus
    format: course_rules.CourseFormat
    price: int
    partner_status: PartnerStatus


class ScheduleSeat(msgspec.Struct, kw_only=True, frozen=True):
    """A row of LOCK_SCHEDULE."""

    id: str
    starts_at: datetime
    seats_left: int


class PurchaseHistory(msgspec.Struct, kw_only=True, frozen=True):
    """A row of PURCHASE_HISTORY."""

    vouchers: int
    open_trainings: int
    same_course: int


def _decoded(row: asyncpg.Record) -> VoucherRow:
    return msgspec.convert(dict(row), VoucherRow)


@dataclass(frozen=True, slots=True)
class CodeFormat:
    """Which voucher codes this deployment issues and accepts (sandbox codes carry the SBX- prefix)."""

    sandbox: bool

    def parse(self, text: str) -> str:
        """The canonical code, or NotFound before any lookup when the check character is wrong."""
        return voucher_codes.parse(text, sandbox=self.sandbox)


def _redemption_facts(row: VoucherRow, scheme: Scheme, now: datetime) -> dict[str, Any]:
    """The facts the voucher rules read, from a row of VOUCHER_COLUMNS."""
    return {
        "voucher_status": row.status,
        "course_format": row.course_format,
        "expires_at": row.expires_at,
        "schedule_starts_at": row.schedule_starts_at,
        "participant_status": row.participant_status,
        "course_status": row.course_status,
        "scheme": scheme,
        "now": now,
    }


def _window(row: VoucherRow, scheme: Scheme) -> RedemptionWindow:
    """When the voucher may be redeemed: until expiry when self-paced, around the schedule's start otherwise."""
    if row.course_format == course_rules.CourseFormat.SELF_PACED or row.schedule_starts_at is None:
        return RedemptionWindow(opens_at=row.sold_at, closes_at=row.expires_at)
    opens_at, closes_at = rules.redemption_window(row.schedule_starts_at, scheme)
    return RedemptionWindow(opens_at=opens_at, closes_at=closes_at)


def _voucher(row: VoucherRow, scheme: Scheme, now: datetime) -> Voucher:
    return Voucher(
        code=row.code,
        status=row.status.value,
        course_id=row.course_id,
        schedule_id=row.schedule_id,
        amount=row.amount,
        sold_at=row.sold_at,
        expires_at=row.expires_at,
        redeemed_at=row.redeemed_at,
        redemption_window=_window(row, scheme),
        participant=MaskedParticipant(name_masked=mask_name(row.participant_name)),
        allowed_actions=rules.allowed_actions(**_redemption_facts(row, scheme, now)),
    )


def _programme_voucher(row: VoucherRow, scheme: Scheme, now: datetime) -> ProgrammeVoucher:
    return ProgrammeVoucher(
        **{f: getattr(_voucher(row, scheme, now), f) for f in Voucher.__struct_fields__},
        participant_id=row.participant_id,
        partner_id=row.partner_id,
    )


# --- the sale --------------------------------------------------------------------------------------------------


async def purchase(
    conn: Connection,
    actor: Actor,
    codes: CodeFormat,
    participant_id: str,
    body: PurchaseCreate,
    clock: Clock,
) -> ProgrammeVoucher:
    """Sell a course (and a schedule, for scheduled formats) to a participant; the price is debited here.

    The sale happens at the course partner's now (its test clock in the sandbox), so expiry and windows
    are consistent with what that partner's requests see.
    """
    participant = await participants.lock(conn, participant_id)
    scheme = await schemes.scheme_by_code(conn, participant.scheme)
    found = await conn.fetchrow(PURCHASE_COURSE, body.course_id)
    if found is None:
        raise NotFound("No such course.")
    course = msgspec.convert(dict(found), CourseOffer)
    rules.check_test_participant_course(participant.sandbox_partner_id, course.partner_id)
    now = await clock.now(conn, course.partner_id)
    course_format = course.format
    schedule = None
    if course_format in course_rules.SCHEDULED_FORMATS:
        if body.schedule_id is None:
            raise ValidationFailed(
                "A scheduled course is sold per schedule.", problems=(FieldProblem("schedule_id", "required"),)
            )
        seat = await conn.fetchrow(LOCK_SCHEDULE, body.schedule_id, body.course_id)
        if seat is None:
            raise NotFound("No such schedule for this course.")
        schedule = msgspec.convert(dict(seat), ScheduleSeat)
    elif body.schedule_id is not None:
        raise ValidationFailed(
            "A self-paced course has no schedules.", problems=(FieldProblem("schedule_id", "must be omitted"),)
        )
    found_history = await conn.fetchrow(PURCHASE_HISTORY, participant_id, body.course_id)
    assert found_history is not None
    history = msgspec.convert(dict(found_history), PurchaseHistory)
    balance = await ledger.balance_of(conn, participant_id)
    rules.check_purchase(
        rules.PurchaseFacts(
            participant_status=participant.status,
            accepted_at=participant.accepted_at,
            balance=balance,
            price=course.price,
            is_first_purchase=history.vouchers == 0,
            has_active_training=history.open_trainings > 0,
            already_bought_course=history.same_course > 0,
            course_on_sale=course_rules.for_sale(course.status, course.partner_status),
            schedule=rules.ScheduleOffer(schedule.starts_at, schedule.seats_left) if schedule else None,
        ),
        scheme,
        now,
    )
    expires_at = rules.voucher_expires_at(course_format, now, schedule.starts_at if schedule else None, scheme)
    code = await _insert_voucher(conn, codes, course, schedule, participant_id, now, expires_at)
    await ledger.post(conn, participant_id, money.debit_for_purchase(balance, course.price, code))
    if schedule is not None:
        await conn.execute(TAKE_SEAT, schedule.id)
    row = await _fetch(conn, code)
    sold = _programme_voucher(row, scheme, now)
    await audit.record(conn, actor, "voucher.sold", "voucher", code, after=sold)
    await events.emit(conn, course.partner_id, "voucher.sold", "voucher", code, _voucher(row, scheme, now))
    return sold


async def _fetch(conn: Connection, code: str) -> VoucherRow:
    row = await conn.fetchrow(SELECT_VOUCHER, code)
    assert row is not None
    return _decoded(row)


async def _insert_voucher(
    conn: Connection,
    codes: CodeFormat,
    course: CourseOffer,
    schedule: ScheduleSeat | None,
    participant_id: str,
    now: datetime,
    expires_at: datetime,
) -> str:
    for _ in range(MAX_CODE_ATTEMPTS):
        code = voucher_codes.generate(sandbox=codes.sandbox)
        inserted = await conn.fetchval(
            INSERT_VOUCHER,
            code,
            course.partner_id,
            course.id,
            schedule.id if schedule else None,
            participant_id,
            course.price,
            now,
            expires_at,
        )
        if inserted is not None:
            return str(inserted)
    raise RuntimeError("could not draw an unused voucher code")


# --- partner side ----------------------------------------------------------------------------------------------


async def get_for_partner(conn: Connection, partner_id: str, code: str, now: datetime) -> Voucher:
    """A voucher of one of the partner's courses; any other code does not exist (404)."""
    found = await conn.fetchrow(SELECT_PARTNER_VOUCHER, code, partner_id)
    if found is None:
        raise NotFound("No voucher has this code.")
    row = _decoded(found)
    return _voucher(row, await schemes.scheme_by_code(conn, row.scheme), now)


async def redeem(
    conn: Connection, actor: Actor, partner_id: str, code: str, learner_ref: str, now: datetime
) -> Enrollment:
    """Redeem a sold voucher exactly once; the partner becomes owed its price (a payable statement line)."""
    found = await conn.fetchrow(LOCK_VOUCHER_FOR_REDEMPTION, code, partner_id)
    if found is None:
        raise NotFound("No voucher has this code.")
    row = _decoded(found)
    scheme = await schemes.scheme_by_code(conn, row.scheme)
    rules.check_redemption(**_redemption_facts(row, scheme, now))
    redemption = enrollments.Redemption(
        voucher_code=row.code,
        partner_id=row.partner_id,
        course_id=row.course_id,
        schedule_id=row.schedule_id,
        participant_id=row.participant_id,
    )
    redeemed_status = rules.next_voucher_status(row.status, rules.VoucherAction.REDEEM)
    view = _voucher(msgspec.structs.replace(row, status=redeemed_status, redeemed_at=now), scheme, now)
    # No savepoint of its own: a violation aborts the caller's (idempotency) savepoint, which rolls back.
    try:
        created = await conn.fetchrow(
            REDEEM_WRITES,
            *(code, redeemed_status.value, now),
            *(partner_id, code, row.amount, statement_rules.period_of(now), now),
            *audit.arguments(
                actor, "voucher.redeemed", "voucher", code, before={"status": row.status.value}, after=view
            ),
            *events.arguments(partner_id, "voucher.redeemed", "voucher", code, view),
            *enrollments.insert_arguments(redemption, learner_ref, now),
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "enrollments_learner_course_idx":
            raise LearnerAlreadyEnrolled("This learner account already redeemed this course.") from exc
        raise VoucherAlreadyRedeemed("The voucher is already redeemed.") from exc
    assert created is not None
    return enrollments.inserted(created, scheme, now)


async def _move(
    conn: Connection,
    actor: Actor,
    row: VoucherRow,
    action: rules.VoucherAction,
    now: datetime,
    event_type: str,
    reason: str | None = None,
) -> VoucherRow:
    """Apply a closing action (void, cancel, expire, fraud): status, refund, seat, enrollment, clawback."""
    status = row.status
    move = rules.apply_voucher_action(status, action, purchase_price=row.amount, voucher_code=row.code)
    await conn.execute(SET_STATUS, row.code, move.status.value, now)
    if move.refund is not None:
        await ledger.post(conn, row.participant_id, move.refund)
        await conn.execute(MARK_REFUNDED, row.code, now)
    if status == rules.VoucherStatus.SOLD and row.schedule_id is not None:
        await conn.execute(RELEASE_SEAT, row.schedule_id)
    if status != rules.VoucherStatus.SOLD:
        await conn.execute(CANCEL_ENROLLMENT, row.code)
        await statements.claw_back(conn, row.code, now)
    after = await _fetch(conn, row.code)
    scheme = await schemes.scheme_by_code(conn, after.scheme)
    await audit.record(
        conn,
        actor,
        event_type,
        "voucher",
        row.code,
        before={"status": status.value},
        after={"status": move.status.value, "refund": move.refund.amount if move.refund else 0, "reason": reason},
    )
    await events.emit(conn, row.partner_id, event_type, "voucher", row.code, _voucher(after, scheme, now))
    return after


async def void(conn: Connection, actor: Actor, partner_id: str, code: str, now: datetime) -> Voucher:
    """The partner voids an unredeemed voucher; the participant gets the purchase price back."""
    found = await conn.fetchrow(LOCK_VOUCHER_FOR_REDEMPTION, code, partner_id)
    if found is None:
        raise NotFound("No voucher has this code.")
    after = await _move(conn, actor, _decoded(found), rules.VoucherAction.VOID, now, "voucher.voided")
    return _voucher(after, await schemes.scheme_by_code(conn, after.scheme), now)


async def _lock_any(conn: Connection, code: str) -> VoucherRow:
    row = await conn.fetchrow(LOCK_VOUCHER, code)
    if row is None:
        raise NotFound("No voucher has this code.")
    return _decoded(row)


async def cancel(conn: Connection, actor: Actor, code: str, reason: str | None, now: datetime) -> ProgrammeVoucher:
    """The programme cancels a sold or redeemed voucher (refund; a redeemed one's price is clawed back)."""
    row = await _lock_any(conn, code)
    after = await _move(conn, actor, row, rules.VoucherAction.CANCEL, now, "voucher.cancelled", reason)
    return _programme_voucher(after, await schemes.scheme_by_code(conn, after.scheme), now)


async def flag_fraud(conn: Connection, actor: Actor, code: str, reason: str | None, now: datetime) -> ProgrammeVoucher:
    """Mark a voucher fraudulent: no refund, and what the partner was owed is clawed back."""
    row = await _lock_any(conn, code)
    after = await _move(conn, actor, row, rules.VoucherAction.FLAG_FRAUD, now, "voucher.fraud_flagged", reason)
    return _programme_voucher(after, await schemes.scheme_by_code(conn, after.scheme), now)


async def get_for_programme(conn: Connection, code: str, now: datetime) -> ProgrammeVoucher:
    found = await conn.fetchrow(SELECT_VOUCHER, code)
    if found is None:
        raise NotFound("No voucher has this code.")
    row = _decoded(found)
    return _programme_voucher(row, await schemes.scheme_by_code(conn, row.scheme), now)


async def expire_due(
    conn: Connection,
    actor: Actor,
    now: datetime,
    batch_size: int,
    *,
    test_clocks: bool = False,
    partner_id: str | None = None,
) -> int:
    """Expire up to `batch_size` sold vouchers past their expiry (refunding each); rows another worker holds
    are skipped, so several workers can sweep at once and each voucher expires exactly once.

    With `test_clocks` (sandbox) each voucher is judged at its partner's test-clock time.
    """
    if test_clocks:
        due = await conn.fetch(DUE_FOR_EXPIRY_BY_TEST_CLOCKS, now, batch_size, partner_id)
    else:
        due = await conn.fetch(DUE_FOR_EXPIRY, now, batch_size)
    for found in due:
        partner_now = now + timedelta(seconds=found["offset_seconds"])
        locked = await conn.fetchrow(LOCK_VOUCHER, found["code"])
        if locked is None:
            continue
        row = _decoded(locked)
        if rules.is_due_to_expire(row.status, row.expires_at, partner_now):
            await _move(conn, actor, row, rules.VoucherAction.EXPIRE, partner_now, "voucher.expired")
    return len(due)
