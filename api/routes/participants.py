"""Programme endpoints for participants, purchases and programme voucher actions (programme:participants)."""

from __future__ import annotations

from litestar import Controller, Response, get, post

from api.auth.access import requires
from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.http.idempotency import Idempotency
from api.http.openapi import PROGRAMME_PARTICIPANTS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit
from api.http.responses import created
from api.schemas.common import Page
from api.schemas.participants import Participant, ParticipantCreate, ParticipantDetail, StatusReason
from api.schemas.vouchers import ProgrammeVoucher, PurchaseCreate, VoucherReason
from api.services import incentives, participants, vouchers
from api.services.audit import Actor
from api.services.clock import Clock, wall_clock
from api.services.vouchers import CodeFormat
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    CourseNotOnSale,
    InsufficientBalance,
    InvalidStateTransition,
    NotFound,
    ParticipantAlreadyEnrolled,
    ParticipantFrozen,
    ParticipantRevoked,
    ScheduleFull,
    VoucherCancelled,
)
from domain.participants import ParticipantAction

SCOPE = "programme:participants"


class ParticipantController(Controller):
    path = "/v1/programme/participants"
    tags = [PROGRAMME_PARTICIPANTS]

    @post(
        "/",
        operation_id="enrolParticipant",
        summary="Enrol a participant",
        **requires(SCOPE, errors=[ParticipantAlreadyEnrolled, NotFound]),
    )
    async def enrol(
        self, data: ParticipantCreate, tx: Connection, actor: Actor, nik_hasher: NationalIdHasher
    ) -> Response[ParticipantDetail]:
        """Enrol an accepted participant; the scheme's training balance is credited as a `grant` ledger
        entry. The NIK is stored only as a keyed hash and never returned."""
        participant = await participants.enrol(tx, actor, nik_hasher, data)
        return created(participant, f"/v1/programme/participants/{participant.id}")

    @get("/", operation_id="listParticipants", summary="List participants", **requires(SCOPE))
    async def index(self, conn: Connection, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Participant]:
        """Participants in enrolment order."""
        return await participants.list_participants(conn, limit, cursor)

    @get("/{participant_id:str}", operation_id="getParticipant", summary="Show a participant", **requires(SCOPE))
    async def show(self, participant_id: str, conn: Connection) -> ParticipantDetail:
        """A participant with the balance and the latest ledger entries."""
        return await participants.get_participant(conn, participant_id)

    @post(
        "/{participant_id:str}/purchases",
        operation_id="purchaseCourse",
        summary="Sell a course to a participant",
        status_code=201,
        **requires(
            SCOPE,
            errors=[
                ParticipantFrozen,
                ParticipantRevoked,
                CourseNotOnSale,
                CourseAlreadyPurchased,
                ActiveTrainingExists,
                ScheduleFull,
                InsufficientBalance,
                InvalidStateTransition,
            ],
        ),
    )
    async def purchase(
        self,
        participant_id: str,
        data: PurchaseCreate,
        tx: Connection,
        actor: Actor,
        codes: CodeFormat,
        idempotency: Idempotency,
        clock: Clock,
    ) -> Response[ProgrammeVoucher]:
        """Buy a course (with a schedule for scheduled formats) from the participant's balance: the voucher
        is created and the price debited in one transaction. Refusals: `participant_frozen`,
        `participant_revoked`, `course_not_on_sale`, `course_already_purchased`, `active_training_exists`,
        `schedule_full`, `insufficient_balance`."""
        return await idempotency.run(
            lambda: vouchers.purchase(tx, actor, codes, participant_id, data, clock),
            status_code=201,
            location=lambda voucher: f"/v1/programme/vouchers/{voucher['code']}",
        )

    @post(
        "/{participant_id:str}/freeze",
        operation_id="freezeParticipant",
        status_code=200,
        summary="Freeze",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def freeze(
        self, participant_id: str, data: StatusReason, tx: Connection, actor: Actor, clock: Clock
    ) -> ParticipantDetail:
        """Under investigation: no purchase and no redemption until unfrozen."""
        return await participants.change_status(tx, actor, participant_id, ParticipantAction.FREEZE, data.reason, clock)

    @post(
        "/{participant_id:str}/unfreeze",
        operation_id="unfreezeParticipant",
        status_code=200,
        summary="Unfreeze",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def unfreeze(
        self, participant_id: str, data: StatusReason, tx: Connection, actor: Actor, clock: Clock
    ) -> ParticipantDetail:
        """End an investigation. One who now meets the scheme's conditions for completing the programme is
        `completed` at once (docs/programme.md, "Completing the programme")."""
        return await participants.change_status(
            tx, actor, participant_id, ParticipantAction.UNFREEZE, data.reason, clock
        )

    @post(
        "/{participant_id:str}/revoke",
        operation_id="revokeParticipant",
        summary="Revoke for fraud",
        status_code=200,
        **requires(SCOPE, errors=[InvalidStateTransition, ActiveTrainingExists]),
    )
    async def revoke(self, participant_id: str, data: StatusReason, tx: Connection, actor: Actor) -> ParticipantDetail:
        """End an active or frozen participant's participation for fraud: the remaining balance lapses (returns to
        the state). Refused (`active_training_exists`) while a voucher is still sold or redeemed: cancel it or
        flag it fraudulent first."""
        return await participants.revoke_for_fraud(tx, actor, participant_id, data.reason)

    @post(
        "/{participant_id:str}/review",
        operation_id="recordReview",
        status_code=200,
        summary="Record the review",
        **requires(SCOPE),
    )
    async def review(self, participant_id: str, tx: Connection, actor: Actor) -> ParticipantDetail:
        """The participant reviewed their training. With a completed, certified enrollment this makes them
        eligible for the scheme's incentive, exactly once (event `participant.incentive_eligible`)."""
        await incentives.record_review(tx, actor, participant_id)
        return await participants.get_participant(tx, participant_id)


class ProgrammeVoucherController(Controller):
    path = "/v1/programme/vouchers"
    tags = [PROGRAMME_PARTICIPANTS]

    @get("/{code:str}", operation_id="getVoucherForProgramme", summary="Show any voucher", **requires(SCOPE))
    async def show(self, code: str, conn: Connection, codes: CodeFormat) -> ProgrammeVoucher:
        """Any voucher, with its participant and partner."""
        return await vouchers.get_for_programme(conn, codes.parse(code), wall_clock())

    @post(
        "/{code:str}/cancel",
        operation_id="cancelVoucher",
        status_code=200,
        summary="Cancel a voucher",
        **requires(SCOPE, errors=[InvalidStateTransition, VoucherCancelled]),
    )
    async def cancel(
        self,
        code: str,
        tx: Connection,
        actor: Actor,
        codes: CodeFormat,
        idempotency: Idempotency,
        data: VoucherReason | None = None,
    ) -> Response[ProgrammeVoucher]:
        """Cancel a sold or redeemed voucher (for example, the course or schedule was cancelled): the
        participant is refunded; for a redeemed one the enrollment ends and the partner's line is clawed back."""
        canonical = codes.parse(code)
        reason = data.reason if data else None
        return await idempotency.run(
            lambda: vouchers.cancel(tx, actor, canonical, reason, wall_clock()), status_code=200
        )

    @post(
        "/{code:str}/flag-fraud",
        operation_id="flagVoucherFraud",
        status_code=200,
        summary="Flag fraud",
        **requires(SCOPE, errors=[InvalidStateTransition]),
    )
    async def flag_fraud(
        self, code: str, data: VoucherReason, tx: Connection, actor: Actor, codes: CodeFormat
    ) -> ProgrammeVoucher:
        """Mark a voucher fraudulent: no refund; what its partner was owed is clawed back on the next statement."""
        return await vouchers.flag_fraud(tx, actor, codes.parse(code), data.reason, wall_clock())
