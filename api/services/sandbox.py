"""Sandbox simulation: test participants, self-sold vouchers, instant curation, a test clock, reset.

Everything here goes through the same services and rules as production; the sandbox only removes the
waiting (for the programme's curators, for buyers, for days to pass).
"""

from __future__ import annotations

import secrets

import msgspec

from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.schemas.courses import CourseDetail
from api.schemas.participants import ParticipantCreate
from api.schemas.sandbox import ClockState, ResetReport, TestParticipant, TestVoucherCreate
from api.schemas.vouchers import ProgrammeVoucher, PurchaseCreate
from api.services import audit, courses, participants, schemes, vouchers
from api.services.audit import Actor
from api.services.clock import Clock, wall_clock
from api.services.vouchers import CodeFormat
from domain import courses as course_rules
from domain.errors import InvalidStateTransition, NotFound

TEST_NAMES = ("Dewi Lestari", "Agus Pratama", "Rina Wulandari", "Budi Santoso", "Siti Rahmawati", "Eko Saputra")
OWN_COURSE = "SELECT status FROM courses WHERE id = $1 AND partner_id = $2"
OWN_TEST_PARTICIPANT = "SELECT 1 FROM participants WHERE id = $1 AND sandbox_partner_id = $2"
EXPIRY_BATCH = 500
FOREIGN_VOUCHERS = """
SELECT count(*) FROM vouchers v JOIN participants p ON p.id = v.participant_id
 WHERE v.partner_id = $1 AND (p.sandbox_partner_id IS DISTINCT FROM $1)
"""
RESET = [
    (
        "codes",
        """CREATE TEMP TABLE reset_codes ON COMMIT DROP AS
        SELECT code FROM vouchers WHERE partner_id = $1
         UNION SELECT code FROM vouchers v JOIN participants p ON p.id = v.participant_id
         WHERE p.sandbox_partner_id = $1""",
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
    ("schedules", "DELETE FROM schedules WHERE partner_id = $1"),
    (
        "curation",
        "DELETE FROM course_curation_events WHERE course_id IN (SELECT id FROM courses WHERE partner_id = $1)",
    ),
    ("courses", "DELETE FROM courses WHERE partner_id = $1"),
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
    return await vouchers.purchase(conn, actor, codes, participant_id, purchase, clock)


async def self_approve(conn: Connection, actor: Actor, partner_id: str, course_id: str) -> CourseDetail:
    """Curation without the wait: a draft or rejected course is submitted (same checks), then approved."""
    status = await conn.fetchval(OWN_COURSE, course_id, partner_id)
    if status is None:
        raise NotFound("No such course.")
    if status in (course_rules.CourseStatus.DRAFT, course_rules.CourseStatus.REJECTED):
        await courses.submit_course(conn, actor, partner_id, course_id)
    return await courses.curate(conn, actor, course_id, "approve")


async def clock_state(conn: Connection, clock: Clock, partner_id: str) -> ClockState:
    offset = await clock.offset(conn, partner_id)
    return ClockState(now=wall_clock() + offset, offset_seconds=int(offset.total_seconds()))


async def advance_clock(conn: Connection, actor: Actor, clock: Clock, partner_id: str, seconds: int) -> ClockState:
    """Move the partner's test clock forward; vouchers that are now past expiry expire at once (refunded)."""
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
    await audit.record(conn, actor, "sandbox.clock_advanced", "partner", partner_id, after={"seconds": seconds})
    offset = await clock.offset(conn, partner_id)
    return ClockState(now=now, offset_seconds=int(offset.total_seconds()), expired_vouchers=expired)


async def reset(conn: Connection, actor: Actor, partner_id: str) -> ResetReport:
    """Delete this partner's sandbox data: its courses, their vouchers and progress, its test participants."""
    if await conn.fetchval(FOREIGN_VOUCHERS, partner_id):
        raise InvalidStateTransition(
            "Participants enrolled by the programme hold vouchers for your courses; a reset only deletes test data."
        )
    report = ResetReport(
        courses=await conn.fetchval("SELECT count(*) FROM courses WHERE partner_id = $1", partner_id),
        vouchers=await conn.fetchval("SELECT count(*) FROM vouchers WHERE partner_id = $1", partner_id),
        participants=await conn.fetchval("SELECT count(*) FROM participants WHERE sandbox_partner_id = $1", partner_id),
    )
    await conn.execute("SET LOCAL prakerja.sandbox_reset = 'on'")
    for _, statement in RESET:
        if "$1" in statement:
            await conn.execute(statement, partner_id)
        else:
            await conn.execute(statement)
    await conn.execute("SET LOCAL prakerja.sandbox_reset = 'off'")
    await audit.record(conn, actor, "sandbox.reset", "partner", partner_id, after=report)
    return report
