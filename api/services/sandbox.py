"""Sandbox simulation: test participants, self-sold vouchers, instant curation, a test clock, reset.

Everything here goes through the same services and rules as production; the sandbox only removes the
waiting (for the programme's curators, for buyers, for days to pass).
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

import msgspec

from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.schemas.courses import CourseDetail
from api.schemas.participants import ParticipantCreate
from api.schemas.sandbox import (
    MAX_ADVANCE_SECONDS,
    ClockAdvance,
    ClockState,
    ResetReport,
    Scenario,
    TestParticipant,
    TestVoucherCreate,
)
from api.schemas.vouchers import ProgrammeVoucher, PurchaseCreate
from api.services import audit, courses, curation, participants, schemes, vouchers
from api.services.audit import Actor
from api.services.clock import Clock, wall_clock
from api.services.vouchers import CodeFormat
from domain import courses as course_rules
from domain.enrollments import iso_instant
from domain.errors import FieldProblem, InvalidStateTransition, NotFound, OutOfTimeOrder, ValidationFailed
from domain.participants import ParticipantAction

SEED_ACTOR = "demo-seed"  # the actor id of the demo catalogue seed (api/jobs/bootstrap.py)
TEST_NAMES = ("Dewi Lestari", "Agus Pratama", "Rina Wulandari", "Budi Santoso", "Siti Rahmawati", "Eko Saputra")
OWN_COURSE = "SELECT status FROM courses WHERE id = $1 AND partner_id = $2"
OWN_TEST_PARTICIPANT = "SELECT 1 FROM participants WHERE id = $1 AND sandbox_partner_id = $2"
EXPIRY_BATCH = 500
FILL_SCHEDULE = "UPDATE schedules SET seats_sold = capacity WHERE id = $1 AND course_id = $2"
EXPIRE_NOW = "UPDATE vouchers SET expires_at = sold_at WHERE code = $1 AND status = 'sold'"
# The partner's test participants that still hold a balance (the scheme's rule decides which ones lapse).
HOLDING_TEST_PARTICIPANTS = """
SELECT p.id, p.scheme, p.accepted_at FROM participants p JOIN balances b ON b.participant_id = p.id
 WHERE p.sandbox_partner_id = $1 AND b.balance > 0 AND p.status <> 'revoked'
 ORDER BY p.id FOR UPDATE OF p
"""
# Vouchers that tie this partner's data to someone else's: its courses bought by participants it does not own,
# or its test participants holding another partner's course (refused at sale since issue 13; older data may).
FOREIGN_VOUCHERS = """
SELECT count(*) FROM vouchers v JOIN participants p ON p.id = v.participant_id
 WHERE (v.partner_id = $1 AND p.sandbox_partner_id IS DISTINCT FROM $1)
    OR (p.sandbox_partner_id = $1 AND v.partner_id <> $1)
"""
RESET = [
    (
        "codes",
        "CREATE TEMP TABLE reset_codes ON COMMIT DROP AS SELECT code FROM vouchers WHERE partner_id = $1",
    ),
    (
        "enrollments_tmp",
        """CREATE TEMP TABLE reset_enrollments ON COMMIT DROP AS
        SELECT id FROM enrollments WHERE voucher_code IN (SELECT code FROM reset_codes)""",
    ),
    ("attendance", "DELETE FROM attendance WHERE enrollment_id IN (SELECT id FROM reset_enrollments)"),
    ("certificates", "DELETE FROM certificates WHERE enrollment_id IN (SELECT id FROM reset_enrollments)"),
    (
        "incentives",
        """DELETE FROM incentives WHERE enrollment_id IN (SELECT id FROM reset_enrollments)
        OR participant_id IN (SELECT id FROM participants WHERE sandbox_partner_id = $1)""",
    ),
    ("integration_commits", "DELETE FROM integration_commits WHERE voucher_code IN (SELECT code FROM reset_codes)"),
    (
        "statement lines",
        """DELETE FROM statement_lines WHERE voucher_code IN (SELECT code FROM reset_codes)
        OR statement_id IN (SELECT id FROM statements WHERE partner_id = $1)""",
    ),
    ("statements", "DELETE FROM statements WHERE partner_id = $1"),
    ("enrollments", "DELETE FROM enrollments WHERE id IN (SELECT id FROM reset_enrollments)"),
    (
        "ledger",
        """DELETE FROM ledger_entries
        WHERE participant_id IN (SELECT id FROM participants WHERE sandbox_partner_id = $1)""",
    ),
    (
        "balances",
        "DELETE FROM balances WHERE participant_id IN (SELECT id FROM participants WHERE sandbox_partner_id = $1)",
    ),
    ("vouchers", "DELETE FROM vouchers WHERE code IN (SELECT code FROM reset_codes)"),
    ("participants", "DELETE FROM participants WHERE sandbox_partner_id = $1"),
    # The seeded demo courses ($2) stay unless asked: ids in a developer's notes keep working.
    ("schedules", "DELETE FROM schedules WHERE partner_id = $1 AND course_id <> all($2::text[])"),
    ("seats", "UPDATE schedules SET seats_sold = 0 WHERE partner_id = $1 AND seats_sold > 0"),
    (
        "curation",
        """DELETE FROM course_curation_events
        WHERE course_id IN (SELECT id FROM courses WHERE partner_id = $1) AND course_id <> all($2::text[])""",
    ),
    ("courses", "DELETE FROM courses WHERE partner_id = $1 AND id <> all($2::text[])"),
    # The webhook deliveries of those events go with them (their attempts cascade); the endpoints stay: they are
    # the partner's configuration, not data it made while testing.
    (
        "webhook deliveries",
        "DELETE FROM webhook_deliveries WHERE event_id IN (SELECT id FROM events WHERE partner_id = $1)",
    ),
    ("events", "DELETE FROM events WHERE partner_id = $1"),
    ("clock", "DELETE FROM sandbox_clocks WHERE partner_id = $1"),
]


def _test_participant(detail: msgspec.Struct) -> TestParticipant:
    return msgspec.convert(msgspec.to_builtins(detail), TestParticipant)


async def create_test_participant(
    conn: Connection, actor: Actor, hasher: NationalIdHasher, clock: Clock, partner_id: str, scheme: str | None
) -> TestParticipant:
    """A fictitious participant of this partner, accepted now (its clock), with the scheme's full balance."""
    token = secrets.token_hex(4).upper()
    body = ParticipantCreate(
        programme_number=f"SBX-PRK-{token}",
        nik="9" + "".join(str(secrets.randbelow(10)) for _ in range(15)),
        name=secrets.choice(TEST_NAMES),
        email=f"peserta.{token.lower()}@sandbox.test",
        phone="+628100000000",
        scheme=(await schemes.requested_scheme(conn, scheme)).code,
        accepted_at=await clock.now(conn, partner_id),
    )
    detail = await participants.enrol(conn, actor, hasher, body, sandbox_partner_id=partner_id)
    return _test_participant(detail)


async def get_test_participant(conn: Connection, partner_id: str, participant_id: str) -> TestParticipant:
    """One of this partner's test participants; anyone else's participant is 404."""
    if await conn.fetchval(OWN_TEST_PARTICIPANT, participant_id, partner_id) is None:
        raise NotFound("No such test participant.")
    return _test_participant(await participants.get_participant(conn, participant_id))


async def sell_test_voucher(
    conn: Connection,
    actor: Actor,
    hasher: NationalIdHasher,
    codes: CodeFormat,
    clock: Clock,
    partner_id: str,
    body: TestVoucherCreate,
) -> ProgrammeVoucher:
    """Sell one of this partner's approved courses to one of its test participants (a new one by default)."""
    if await conn.fetchval(OWN_COURSE, body.course_id, partner_id) is None:
        raise NotFound("No such course.")
    participant_id = body.participant_id
    if participant_id is None:
        participant_id = (await create_test_participant(conn, actor, hasher, clock, partner_id, None)).id
    elif await conn.fetchval(OWN_TEST_PARTICIPANT, participant_id, partner_id) is None:
        raise NotFound("No such test participant.")
    purchase = PurchaseCreate(course_id=body.course_id, schedule_id=body.schedule_id)
    if body.scenario == "schedule_full":
        if body.schedule_id is None:
            problem = "required with the `schedule_full` scenario"
            raise ValidationFailed(f"schedule_id is {problem}.", problems=(FieldProblem("schedule_id", problem),))
        # Every seat taken, inside this request's transaction: the sale's refusal rolls it back with the rest.
        await conn.execute(FILL_SCHEDULE, body.schedule_id, body.course_id)
    voucher = await vouchers.purchase(conn, actor, codes, participant_id, purchase, clock)
    if body.scenario is None:
        return voucher
    return await _arrange(conn, actor, clock, partner_id, voucher, body.scenario)


async def _arrange(
    conn: Connection, actor: Actor, clock: Clock, partner_id: str, voucher: ProgrammeVoucher, scenario: Scenario
) -> ProgrammeVoucher:
    """Put a freshly sold test voucher in the state `scenario` names, through the same services as ever."""
    now = await clock.now(conn, partner_id)
    reason = f"sandbox scenario {scenario}"
    if scenario == "voucher_expired":
        await conn.execute(EXPIRE_NOW, voucher.code)
        await vouchers.expire_due(
            conn, actor, wall_clock() + timedelta(seconds=1), EXPIRY_BATCH, test_clocks=True, partner_id=partner_id
        )
    elif scenario == "voucher_cancelled":
        await vouchers.void(conn, actor, partner_id, voucher.code, now)
    elif scenario == "voucher_fraudulent":
        await vouchers.flag_fraud(conn, actor, voucher.code, reason, now)
    elif scenario == "participant_revoked":
        await participants.revoke_and_lapse(conn, actor, voucher.participant_id, now, reason)
    elif scenario == "course_not_on_sale":
        await curation.curate(conn, actor, clock, voucher.course_id, "suspend", (reason,))
    elif scenario == "participant_frozen":
        await participants.change_status(conn, actor, voucher.participant_id, ParticipantAction.FREEZE, reason, clock)
    return await vouchers.get_for_programme(conn, voucher.code, now)


async def self_approve(conn: Connection, actor: Actor, clock: Clock, partner_id: str, course_id: str) -> CourseDetail:
    """Curation without the wait: a draft or rejected course is submitted (same checks), then approved; a
    suspended one (the `course_not_on_sale` scenario) is reinstated."""
    status = await conn.fetchval(OWN_COURSE, course_id, partner_id)
    if status is None:
        raise NotFound("No such course.")
    if status == course_rules.CourseStatus.SUSPENDED:
        return await curation.curate(conn, actor, clock, course_id, "reinstate")
    if status in (course_rules.CourseStatus.DRAFT, course_rules.CourseStatus.REJECTED):
        await courses.submit_course(conn, actor, partner_id, course_id, await clock.now(conn, partner_id))
    return await curation.curate(conn, actor, clock, course_id, "approve")


async def clock_state(conn: Connection, clock: Clock, partner_id: str) -> ClockState:
    offset = await clock.offset(conn, partner_id)
    return ClockState(now=wall_clock() + offset, offset_seconds=int(offset.total_seconds()))


async def advance_clock(
    conn: Connection, actor: Actor, clock: Clock, partner_id: str, body: ClockAdvance
) -> ClockState:
    """Move the partner's test clock forward (by seconds, or to an instant); vouchers that are now past expiry
    expire at once (refunded), and test participants past their scheme's balance deadline lapse at once (and are
    completed when that was the scheme's last condition), as the worker does on the wall clock."""
    seconds = body.seconds
    if body.to is not None:
        current = await clock.now(conn, partner_id)
        seconds = math.ceil((body.to - current).total_seconds())
        if seconds < 1 or seconds > MAX_ADVANCE_SECONDS:
            problem = f"must be after the test clock's now ({iso_instant(current)}) and at most 400 days ahead"
            raise OutOfTimeOrder(f"`to` {problem}.", problems=(FieldProblem("to", problem),))
    assert seconds is not None
    now = await clock.advance(conn, partner_id, seconds)
    expired = 0
    while True:
        # expire_due adds the partner's offset to the wall clock itself.
        batch = await vouchers.expire_due(
            conn, actor, wall_clock(), EXPIRY_BATCH, test_clocks=True, partner_id=partner_id
        )
        expired += batch
        if batch < EXPIRY_BATCH:
            break
    for row in await conn.fetch(HOLDING_TEST_PARTICIPANTS, partner_id):
        scheme = await schemes.scheme_by_code(conn, row["scheme"])
        if scheme.balance_lapsed(row["accepted_at"], now):
            await participants.lapse(conn, actor, row["id"], "balance deadline")
            await participants.complete_if_due(conn, actor, row["id"], now)
    await audit.record(conn, actor, "sandbox.clock_advanced", "partner", partner_id, after={"seconds": seconds})
    offset = await clock.offset(conn, partner_id)
    return ClockState(now=now, offset_seconds=int(offset.total_seconds()), expired_vouchers=expired)


SEEDED_COURSES = """
SELECT entity_id FROM audit_log
 WHERE actor_type = 'system' AND actor_id = $2 AND action = 'course.created' AND entity_type = 'course'
   AND entity_id IN (SELECT id FROM courses WHERE partner_id = $1)
"""


async def reset(conn: Connection, actor: Actor, partner_id: str, *, seeded_courses: bool = False) -> ResetReport:
    """Delete this partner's sandbox data: its courses, their vouchers and progress, its test participants.

    The demo courses seeded at start stay (with every seat free again) unless `seeded_courses` says to delete them.
    """
    if await conn.fetchval(FOREIGN_VOUCHERS, partner_id):
        raise InvalidStateTransition(
            "Vouchers tie your sandbox data to participants or courses that are not yours; a reset only deletes"
            " your own test data."
        )
    kept = [] if seeded_courses else [r["entity_id"] for r in await conn.fetch(SEEDED_COURSES, partner_id, SEED_ACTOR)]
    report = ResetReport(
        courses=await conn.fetchval("SELECT count(*) FROM courses WHERE partner_id = $1", partner_id) - len(kept),
        kept_courses=len(kept),
        vouchers=await conn.fetchval("SELECT count(*) FROM vouchers WHERE partner_id = $1", partner_id),
        participants=await conn.fetchval("SELECT count(*) FROM participants WHERE sandbox_partner_id = $1", partner_id),
    )
    await conn.execute("SET LOCAL prakerja.sandbox_reset = 'on'")
    for _, statement in RESET:
        if "$2" in statement:
            await conn.execute(statement, partner_id, kept)
        elif "$1" in statement:
            await conn.execute(statement, partner_id)
        else:
            await conn.execute(statement)
    await conn.execute("SET LOCAL prakerja.sandbox_reset = 'off'")
    await audit.record(conn, actor, "sandbox.reset", "partner", partner_id, after=report)
    return report
