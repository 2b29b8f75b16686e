"""Vouchers: the state machine, which moves refund the balance, and the rules of buying and redeeming.

    sold ──redeem──> redeemed ──complete──> completed
    sold ──expire──> expired                       (refund)
    sold ──void (partner) / cancel (programme)──> cancelled   (refund)
    redeemed ──cancel (programme)──> cancelled     (refund: course or schedule cancelled)
    any but fraudulent ──flag_fraud (programme)──> fraudulent   (no refund)

Every status x action pair is spelled out in VOUCHER_TRANSITIONS, either as the next status or as the
error a caller receives, so a partner redeeming a used code learns exactly why it failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from domain.courses import CourseFormat, CourseStatus, accepts_redemptions
from domain.enrollments import iso_instant
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    CourseNotOnSale,
    DomainError,
    InsufficientBalance,
    InvalidRequest,
    InvalidStateTransition,
    ParticipantRevoked,
    RedemptionWindowClosed,
    ScheduleFull,
    VoucherAlreadyRedeemed,
    VoucherCancelled,
    VoucherExpired,
    VoucherFraudulent,
    VoucherVoidNotAllowed,
)
from domain.ledger import LedgerEntry, debit_for_purchase, refund_for
from domain.participants import (
    ParticipantStatus,
    check_can_purchase,
    check_can_redeem,
    is_past_first_purchase_deadline,
)
from domain.schemes import Scheme


class VoucherStatus(StrEnum):
    SOLD = "sold"
    REDEEMED = "redeemed"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FRAUDULENT = "fraudulent"


class VoucherAction(StrEnum):
    REDEEM = "redeem"
    """Partner: the learner starts the course."""
    COMPLETE = "complete"
    """Partner, through the enrolment's completion."""
    EXPIRE = "expire"
    """System: not redeemed in time."""
    VOID = "void"
    """Partner: withdraw an unredeemed sale."""
    CANCEL = "cancel"
    """Programme: withdraw a sale before completion (e.g. course or schedule cancelled)."""
    FLAG_FRAUD = "flag_fraud"
    """Programme: mark any voucher fraudulent."""


PARTNER_ACTIONS = (VoucherAction.REDEEM, VoucherAction.VOID)
"""The actions a partner may take on a voucher, in the order `allowed_actions` lists them."""

_S = VoucherStatus
VOUCHER_TRANSITIONS: Mapping[VoucherAction, Mapping[VoucherStatus, VoucherStatus | type[DomainError]]] = (
    MappingProxyType(
        {
            VoucherAction.REDEEM: {
                _S.SOLD: _S.REDEEMED,
                _S.REDEEMED: VoucherAlreadyRedeemed,
                _S.COMPLETED: VoucherAlreadyRedeemed,
                _S.EXPIRED: VoucherExpired,
                _S.CANCELLED: VoucherCancelled,
                _S.FRAUDULENT: VoucherFraudulent,
            },
            VoucherAction.COMPLETE: {
                _S.SOLD: InvalidStateTransition,
                _S.REDEEMED: _S.COMPLETED,
                _S.COMPLETED: InvalidStateTransition,
                _S.EXPIRED: InvalidStateTransition,
                _S.CANCELLED: InvalidStateTransition,
                _S.FRAUDULENT: InvalidStateTransition,
            },
            VoucherAction.EXPIRE: {
                _S.SOLD: _S.EXPIRED,
                _S.REDEEMED: InvalidStateTransition,
                _S.COMPLETED: InvalidStateTransition,
                _S.EXPIRED: InvalidStateTransition,
                _S.CANCELLED: InvalidStateTransition,
                _S.FRAUDULENT: InvalidStateTransition,
            },
            VoucherAction.VOID: {
                _S.SOLD: _S.CANCELLED,
                _S.REDEEMED: VoucherVoidNotAllowed,
                _S.COMPLETED: VoucherVoidNotAllowed,
                _S.EXPIRED: VoucherVoidNotAllowed,
                _S.CANCELLED: VoucherVoidNotAllowed,
                _S.FRAUDULENT: VoucherVoidNotAllowed,
            },
            VoucherAction.CANCEL: {
                _S.SOLD: _S.CANCELLED,
                _S.REDEEMED: _S.CANCELLED,
                _S.COMPLETED: InvalidStateTransition,
                _S.EXPIRED: InvalidStateTransition,
                _S.CANCELLED: InvalidStateTransition,
                _S.FRAUDULENT: InvalidStateTransition,
            },
            VoucherAction.FLAG_FRAUD: {
                _S.SOLD: _S.FRAUDULENT,
                _S.REDEEMED: _S.FRAUDULENT,
                _S.COMPLETED: _S.FRAUDULENT,
                _S.EXPIRED: _S.FRAUDULENT,
                _S.CANCELLED: _S.FRAUDULENT,
                _S.FRAUDULENT: InvalidStateTransition,
            },
        }
    )
)
"""action -> current status -> the next status, or the error class that refuses the move."""

REFUNDING_MOVES: frozenset[tuple[VoucherAction, VoucherStatus]] = frozenset(
    {
        (VoucherAction.EXPIRE, VoucherStatus.SOLD),
        (VoucherAction.VOID, VoucherStatus.SOLD),
        (VoucherAction.CANCEL, VoucherStatus.SOLD),
        (VoucherAction.CANCEL, VoucherStatus.REDEEMED),
    }
)
"""(action, status before) pairs that give the participant the purchase price back.

Flagging fraud refunds nothing: the balance of a fraudulent purchase is not handed back to be spent again.
"""


def next_voucher_status(status: VoucherStatus, action: VoucherAction) -> VoucherStatus:
    """The status `action` leads to from `status`, or the specific error VOUCHER_TRANSITIONS names."""
    outcome = VOUCHER_TRANSITIONS[action][status]
    if isinstance(outcome, VoucherStatus):
        return outcome
    raise outcome(f"Cannot {action.replace('_', ' ')} a voucher that is {status}.")


def refund_for_move(
    action: VoucherAction, status_before: VoucherStatus, purchase_price: int, voucher_code: str | None = None
) -> LedgerEntry | None:
    """The refund credit a move earns (the whole purchase price), or None if the move refunds nothing."""
    if (action, status_before) not in REFUNDING_MOVES:
        return None
    return refund_for(purchase_price, voucher_code)


@dataclass(frozen=True, slots=True)
class VoucherMove:
    """The result of one accepted action: the new status and the refund to append to the ledger, if any."""

    status: VoucherStatus
    refund: LedgerEntry | None


def apply_voucher_action(
    status: VoucherStatus, action: VoucherAction, *, purchase_price: int, voucher_code: str | None = None
) -> VoucherMove:
    """The new status and refund for `action` on a voucher in `status`; the specific error if it is refused."""
    new_status = next_voucher_status(status, action)
    return VoucherMove(new_status, refund_for_move(action, status, purchase_price, voucher_code))


def redemption_window(schedule_starts_at: datetime, scheme: Scheme) -> tuple[datetime, datetime]:
    """The first and last instant (both included) a scheduled voucher may be redeemed."""
    return (
        schedule_starts_at - timedelta(minutes=scheme.redemption_window_before_minutes),
        schedule_starts_at + timedelta(minutes=scheme.redemption_window_after_minutes),
    )


def voucher_expires_at(
    course_format: str, sold_at: datetime, schedule_starts_at: datetime | None, scheme: Scheme
) -> datetime:
    """When an unredeemed voucher stops being redeemable and is due to expire (with a refund).

    Self-paced: the scheme's validity after sale. Scheduled: the end of the redemption window, which
    may be further away than the validity period when the schedule starts late.
    """
    if course_format == CourseFormat.SELF_PACED:
        return scheme.voucher_expiry(sold_at)
    return redemption_window(_require_schedule_start(schedule_starts_at), scheme)[1]


def is_due_to_expire(status: VoucherStatus, expires_at: datetime, now: datetime) -> bool:
    """True for a sold voucher whose expiry instant has passed (the expiry instant itself still counts)."""
    return status is VoucherStatus.SOLD and now > expires_at


@dataclass(frozen=True, slots=True)
class ScheduleOffer:
    """What a purchase needs to know of the chosen schedule."""

    starts_at: datetime
    seats_left: int


@dataclass(frozen=True, slots=True)
class PurchaseFacts:
    """Everything `check_purchase` decides on, gathered by the caller (under lock) before the sale."""

    participant_status: ParticipantStatus
    accepted_at: datetime
    balance: int
    price: int
    is_first_purchase: bool
    has_active_training: bool
    """A voucher of this participant is sold or redeemed but not completed: trainings are sequential."""
    already_bought_course: bool
    """This participant already holds a voucher for this course that was not refunded."""
    course_on_sale: bool
    """The course is approved (not draft, submitted, rejected, suspended or archived)."""
    schedule: ScheduleOffer | None
    """The chosen schedule for a scheduled format; None for a self-paced course."""


def check_test_participant_course(sandbox_partner_id: str | None, course_partner_id: str) -> None:
    """A sandbox partner's test participant belongs to that partner alone and buys only its courses; otherwise
    one partner's sandbox reset would reach another partner's vouchers, enrollments and settlement lines."""
    if sandbox_partner_id is not None and sandbox_partner_id != course_partner_id:
        raise CourseNotOnSale("A sandbox partner's test participant can only buy that partner's own courses.")


def check_purchase(facts: PurchaseFacts, scheme: Scheme, now: datetime) -> None:
    """Pass if the participant may buy the course now; otherwise raise the first rule broken, in this order.

    1. participant frozen / revoked (ParticipantFrozen, ParticipantRevoked; completed: InvalidStateTransition)
    2. course not approved (CourseNotOnSale)
    3. first purchase after the first-purchase deadline (ParticipantRevoked: the revocation is due)
    4. same course bought before (CourseAlreadyPurchased)
    5. another training still open (ActiveTrainingExists)
    6. schedule already started, start instant included (CourseNotOnSale), then no seat left (ScheduleFull)
    7. the scheme's balance deadline has passed (InsufficientBalance: the balance has lapsed, whether or not the
       worker's sweep has returned it to the state yet)
    8. price above the balance (InsufficientBalance); a price equal to the balance passes
    Who the participant is comes before what they buy; money comes last, since a refused sale for any other
    reason would not be cured by more balance.
    """
    check_can_purchase(facts.participant_status)
    if not facts.course_on_sale:
        raise CourseNotOnSale("The course is not on sale.")
    if is_past_first_purchase_deadline(facts.accepted_at, not facts.is_first_purchase, scheme, now):
        deadline = scheme.first_purchase_deadline(facts.accepted_at)
        raise ParticipantRevoked(f"The first course had to be bought by {iso_instant(deadline)}.")
    if facts.already_bought_course:
        raise CourseAlreadyPurchased("The participant already bought this course.")
    if facts.has_active_training:
        raise ActiveTrainingExists("The participant must complete the current training first.")
    if facts.schedule is not None:
        if facts.schedule.starts_at <= now:
            raise CourseNotOnSale("This schedule has already started.")
        if facts.schedule.seats_left <= 0:
            raise ScheduleFull("This schedule has no seats left.")
    if scheme.balance_lapsed(facts.accepted_at, now):
        lapsed_after = scheme.balance_deadline(facts.accepted_at)
        raise InsufficientBalance(f"The training balance lapsed after {lapsed_after.isoformat()}.")
    debit_for_purchase(facts.balance, facts.price)


def check_redemption(
    *,
    voucher_status: VoucherStatus,
    course_format: str,
    expires_at: datetime,
    schedule_starts_at: datetime | None,
    participant_status: ParticipantStatus,
    scheme: Scheme,
    now: datetime,
    course_status: CourseStatus = CourseStatus.APPROVED,
) -> None:
    """Pass if the voucher may be redeemed now; otherwise raise the first rule broken, in this order.

    1. the voucher's status (VoucherAlreadyRedeemed, VoucherExpired, VoucherCancelled, VoucherFraudulent)
    2. the participant (ParticipantFrozen, ParticipantRevoked)
    3. the time: self-paced until `expires_at` included, else VoucherExpired (the expiry job may not
       have run yet); scheduled formats only inside `redemption_window`, else RedemptionWindowClosed.
    4. the course: a suspended course's vouchers wait (CourseNotOnSale); an archived course's still redeem,
       because vouchers already sold run to completion (`domain.courses.accepts_redemptions`).
    """
    next_voucher_status(voucher_status, VoucherAction.REDEEM)
    check_can_redeem(participant_status)
    if course_format == CourseFormat.SELF_PACED:
        if now > expires_at:
            raise VoucherExpired(f"The voucher expired at {iso_instant(expires_at)}.")
    else:
        opens, closes = redemption_window(_require_schedule_start(schedule_starts_at), scheme)
        if not opens <= now <= closes:
            raise RedemptionWindowClosed(
                f"The voucher can be redeemed only from {iso_instant(opens)} to {iso_instant(closes)}."
            )
    if not accepts_redemptions(course_status):
        raise CourseNotOnSale("The course is suspended; its vouchers cannot be redeemed now.")


def allowed_actions(
    *,
    voucher_status: VoucherStatus,
    course_format: str,
    expires_at: datetime,
    schedule_starts_at: datetime | None,
    participant_status: ParticipantStatus,
    scheme: Scheme,
    now: datetime,
    course_status: CourseStatus = CourseStatus.APPROVED,
) -> list[str]:
    """What the partner may do with the voucher right now: a subset of ["redeem", "void"], in that order.

    "redeem" appears exactly when `check_redemption` would pass; "void" whenever the voucher is still sold.
    """
    if course_format != CourseFormat.SELF_PACED:
        _require_schedule_start(schedule_starts_at)  # a caller's bug must surface, not read as "not redeemable"
    actions: list[str] = []
    try:
        check_redemption(
            voucher_status=voucher_status,
            course_format=course_format,
            expires_at=expires_at,
            schedule_starts_at=schedule_starts_at,
            participant_status=participant_status,
            scheme=scheme,
            now=now,
            course_status=course_status,
        )
    except DomainError:
        pass
    else:
        actions.append(VoucherAction.REDEEM.value)
    if voucher_status is VoucherStatus.SOLD:
        actions.append(VoucherAction.VOID.value)
    return actions


def _require_schedule_start(schedule_starts_at: datetime | None) -> datetime:
    """The schedule start a scheduled-format voucher must have; InvalidRequest when the caller lost it."""
    if schedule_starts_at is None:
        raise InvalidRequest("A voucher for a scheduled course needs its schedule's start.")
    return schedule_starts_at
