"""Sandbox helpers (scope sandbox:simulate). Mounted only when the deployment runs with APP_ENV=sandbox."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Response, get, post

from api.auth.access import requires
from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.http.openapi import SANDBOX
from api.http.responses import created
from api.routes.statements import Period
from api.schemas.courses import CourseDetail
from api.schemas.sandbox import (
    ClockAdvance,
    ClockState,
    ResetOptions,
    ResetReport,
    TestParticipant,
    TestParticipantCreate,
    TestVoucherCreate,
)
from api.schemas.statements import Statement
from api.schemas.vouchers import ProgrammeVoucher
from api.services import sandbox, statements
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT, Clock
from api.services.vouchers import CodeFormat
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    CourseNotOnSale,
    CourseRuleViolated,
    InsufficientBalance,
    InvalidStateTransition,
    NotFound,
    OutOfTimeOrder,
    ParticipantFrozen,
    ParticipantRevoked,
    ScheduleFull,
)

SCOPE = "sandbox:simulate"


class SandboxController(Controller):
    path = "/v1/sandbox"
    tags = [SANDBOX]
    dependencies = PARTNER_CONTEXT

    @post(
        "/participants",
        operation_id="createTestParticipant",
        summary="Create a test participant",
        **requires(SCOPE, errors=[NotFound]),
    )
    async def participant(
        self,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        nik_hasher: NationalIdHasher,
        clock: Clock,
        data: TestParticipantCreate | None = None,
    ) -> Response[TestParticipant]:
        """A fictitious participant with the full balance of the chosen scheme (default: the programme's default
        scheme, the current cohort)."""
        scheme = data.scheme if data else None
        participant = await sandbox.create_test_participant(tx, actor, nik_hasher, clock, partner_id, scheme)
        return created(participant, f"/v1/sandbox/participants/{participant.id}")

    @get(
        "/participants/{participant_id:str}",
        operation_id="getTestParticipant",
        summary="Show a test participant",
        **requires(SCOPE),
    )
    async def show_participant(self, participant_id: str, conn: Connection, partner_id: str) -> TestParticipant:
        """One of your test participants with its balance and status (another partner's is 404)."""
        return await sandbox.get_test_participant(conn, partner_id, participant_id)

    @post(
        "/vouchers",
        operation_id="createTestVoucher",
        summary="Sell my course to a test participant",
        **requires(
            SCOPE,
            errors=[
                NotFound,
                ParticipantFrozen,
                ParticipantRevoked,
                CourseNotOnSale,
                CourseAlreadyPurchased,
                ActiveTrainingExists,
                ScheduleFull,
                InsufficientBalance,
            ],
        ),
    )
    async def voucher(
        self,
        data: TestVoucherCreate,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        nik_hasher: NationalIdHasher,
        codes: CodeFormat,
        clock: Clock,
    ) -> Response[ProgrammeVoucher]:
        """Sell one of your approved courses (with `schedule_id` for scheduled formats) to one of your test
        participants (a new one when `participant_id` is left out). The same purchase rules apply; the
        voucher `code` (SBX-…) is what you redeem next."""
        voucher = await sandbox.sell_test_voucher(tx, actor, nik_hasher, codes, clock, partner_id, data)
        return created(voucher, f"/v1/vouchers/{voucher.code}")

    @post(
        "/courses/{course_id:str}/approve",
        operation_id="selfApproveCourse",
        status_code=200,
        summary="Approve my course instantly",
        **requires(SCOPE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def approve(
        self, course_id: str, tx: Connection, actor: Actor, partner_id: str, clock: Clock
    ) -> CourseDetail:
        """Curation is instant in the sandbox: a draft or rejected course is submitted (the same checks run,
        e.g. a scheduled format needs a schedule) and approved at once; a suspended course (the `course_not_on_sale`
        scenario) is reinstated."""
        return await sandbox.self_approve(tx, actor, clock, partner_id, course_id)

    @get("/clock", operation_id="getTestClock", summary="My test clock", **requires(SCOPE))
    async def clock(self, conn: Connection, partner_id: str, clock: Clock) -> ClockState:
        """Your sandbox time: expiry, redemption windows and the elapsed-days rule follow it."""
        return await sandbox.clock_state(conn, clock, partner_id)

    @post(
        "/clock/advance",
        operation_id="advanceTestClock",
        summary="Make time pass",
        status_code=200,
        **requires(SCOPE, errors=[OutOfTimeOrder]),
    )
    async def advance(
        self, data: ClockAdvance, tx: Connection, actor: Actor, partner_id: str, clock: Clock
    ) -> ClockState:
        """Move your clock forward by `seconds`, or to the instant `to` (give exactly one; the clock never goes
        back). Vouchers that are now past expiry expire at once, with the test participant refunded (the worker
        does the same on its next sweep)."""
        return await sandbox.advance_clock(tx, actor, clock, partner_id, data)

    @post(
        "/reset",
        operation_id="resetSandbox",
        summary="Delete my sandbox data",
        status_code=200,
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def reset(
        self, tx: Connection, actor: Actor, partner_id: str, data: ResetOptions | None = None
    ) -> ResetReport:
        """Delete your courses, their vouchers and progress, your test participants, events, statements and clock.
        The demo courses seeded at start stay, with every seat free again, unless you send
        `{"seeded_courses": true}`."""
        seeded = data.seeded_courses if data else False
        return await sandbox.reset(tx, actor, partner_id, seeded_courses=seeded)

    @post(
        "/statements/{period:str}/close",
        operation_id="closeMyTestStatement",
        summary="Close my statement of an ended period",
        status_code=200,
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def close_statement(
        self, period: Period, tx: Connection, actor: Actor, partner_id: str, now: datetime
    ) -> Statement:
        """Close your statement of a month that has ended on your test clock (advance the clock past the month's
        end in Asia/Jakarta first), as the programme closes every partner's at the end of a real month: totals
        freeze and you get `statement.closed`. Not ended yet, or already closed, is 409."""
        return await statements.close_partner_statement(tx, actor, partner_id, period, now)
