"""Sandbox helpers (scope sandbox:simulate). Mounted only when the deployment runs with APP_ENV=sandbox."""

from __future__ import annotations

from litestar import Controller, get, post

from api.auth.access import Principal, requires
from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.schemas.courses import CourseDetail
from api.schemas.sandbox import (
    ClockAdvance,
    ClockState,
    ResetReport,
    TestParticipant,
    TestParticipantCreate,
    TestVoucherCreate,
)
from api.schemas.statements import Statement
from api.schemas.vouchers import ProgrammeVoucher
from api.services import sandbox, statements
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.vouchers import CodeFormat
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    CourseNotOnSale,
    CourseRuleViolated,
    InsufficientBalance,
    InvalidStateTransition,
    NotFound,
    ParticipantFrozen,
    ParticipantRevoked,
    ScheduleFull,
)

SCOPE = "sandbox:simulate"


class SandboxController(Controller):
    path = "/v1/sandbox"
    tags = ["sandbox"]

    @post("/participants", operation_id="createTestParticipant", summary="Create a test participant", **requires(SCOPE))
    async def participant(
        self,
        tx: Connection,
        actor: Actor,
        principal: Principal,
        nik_hasher: NationalIdHasher,
        clock: Clock,
        data: TestParticipantCreate | None = None,
    ) -> TestParticipant:
        """A fictitious participant with the full balance of the chosen scheme (default: the programme's default
        scheme, the current cohort)."""
        scheme = data.scheme if data else None
        return await sandbox.create_test_participant(tx, actor, nik_hasher, clock, principal.require_partner(), scheme)

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
        principal: Principal,
        nik_hasher: NationalIdHasher,
        codes: CodeFormat,
        clock: Clock,
    ) -> ProgrammeVoucher:
        """Sell one of your approved courses (with `schedule_id` for scheduled formats) to one of your test
        participants (a new one when `participant_id` is left out). The same purchase rules apply; the
        voucher `code` (SBX-…) is what you redeem next."""
        return await sandbox.sell_test_voucher(tx, actor, nik_hasher, codes, clock, principal.require_partner(), data)

    @post(
        "/courses/{course_id:str}/approve",
        operation_id="selfApproveCourse",
        summary="Approve my course instantly",
        **requires(SCOPE, errors=[CourseRuleViolated, InvalidStateTransition]),
    )
    async def approve(self, course_id: str, tx: Connection, actor: Actor, principal: Principal) -> CourseDetail:
        """Curation is instant in the sandbox: a draft or rejected course is submitted (the same checks run,
        e.g. a scheduled format needs a schedule) and approved at once."""
        return await sandbox.self_approve(tx, actor, principal.require_partner(), course_id)

    @get("/clock", operation_id="getTestClock", summary="My test clock", **requires(SCOPE))
    async def clock(self, conn: Connection, principal: Principal, clock: Clock) -> ClockState:
        """Your sandbox time: expiry, redemption windows and the elapsed-days rule follow it."""
        return await sandbox.clock_state(conn, clock, principal.require_partner())

    @post(
        "/clock/advance", operation_id="advanceTestClock", summary="Make time pass", status_code=200, **requires(SCOPE)
    )
    async def advance(
        self, data: ClockAdvance, tx: Connection, actor: Actor, principal: Principal, clock: Clock
    ) -> ClockState:
        """Move your clock forward by `seconds`. Vouchers that are now past expiry expire at once, with the
        test participant refunded (the worker does the same on its next sweep)."""
        return await sandbox.advance_clock(tx, actor, clock, principal.require_partner(), data.seconds)

    @post(
        "/reset",
        operation_id="resetSandbox",
        summary="Delete my sandbox data",
        status_code=200,
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def reset(self, tx: Connection, actor: Actor, principal: Principal) -> ResetReport:
        """Delete your courses, their vouchers and progress, your test participants, events and clock."""
        return await sandbox.reset(tx, actor, principal.require_partner())

    @post(
        "/statements/{period:str}/close",
        operation_id="closeMyTestStatement",
        summary="Close my statement of an ended period",
        status_code=200,
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def close_statement(
        self, period: str, tx: Connection, actor: Actor, principal: Principal, clock: Clock
    ) -> Statement:
        """Close your statement of a month that has ended on your test clock (advance the clock past the month's
        end in Asia/Jakarta first), as the programme closes every partner's at the end of a real month: totals
        freeze and you get `statement.closed`. Not ended yet, or already closed, is 409."""
        partner_id = principal.require_partner()
        now = await clock.now(tx, partner_id)
        return await statements.close_partner_statement(tx, actor, partner_id, period, now)
