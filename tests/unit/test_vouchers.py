"""Voucher state machine, refunds, and the purchase and redemption rules with their precedence."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.courses import CourseStatus
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    CourseNotOnSale,
    DomainError,
    InsufficientBalance,
    InvalidRequest,
    InvalidStateTransition,
    ParticipantFrozen,
    ParticipantRevoked,
    RedemptionWindowClosed,
    ScheduleFull,
    VoucherAlreadyRedeemed,
    VoucherCancelled,
    VoucherExpired,
    VoucherFraudulent,
    VoucherVoidNotAllowed,
)
from domain.ledger import LedgerEntry, LedgerEntryKind
from domain.participants import ParticipantStatus
from domain.schemes import Scheme
from domain.vouchers import (
    PurchaseFacts,
    ScheduleOffer,
    VoucherAction,
    VoucherMove,
    VoucherStatus,
    allowed_actions,
    apply_voucher_action,
    check_purchase,
    check_redemption,
    is_due_to_expire,
    next_voucher_status,
    redemption_window,
    refund_for_move,
    voucher_expires_at,
)
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024, SCHEMES

SCHEME_LIST = list(SCHEMES.values())
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
PRICE = 1_500_000

SOLD, REDEEMED, COMPLETED, EXPIRED, CANCELLED, FRAUDULENT = (
    VoucherStatus.SOLD,
    VoucherStatus.REDEEMED,
    VoucherStatus.COMPLETED,
    VoucherStatus.EXPIRED,
    VoucherStatus.CANCELLED,
    VoucherStatus.FRAUDULENT,
)
REDEEM, COMPLETE, EXPIRE, VOID, CANCEL, FLAG_FRAUD = (
    VoucherAction.REDEEM,
    VoucherAction.COMPLETE,
    VoucherAction.EXPIRE,
    VoucherAction.VOID,
    VoucherAction.CANCEL,
    VoucherAction.FLAG_FRAUD,
)
NO = InvalidStateTransition
USED, GONE, NO_VOID = VoucherAlreadyRedeemed, VoucherCancelled, VoucherVoidNotAllowed

# The whole machine, one row per action, one column per status (sold, redeemed, completed, expired,
# cancelled, fraudulent), written out here independently of the module: a status is the move's result,
# an error class is what the caller sees.
EXPECTED_TABLE: dict[VoucherAction, tuple[VoucherStatus | type[DomainError], ...]] = {
    REDEEM: (REDEEMED, USED, USED, VoucherExpired, GONE, VoucherFraudulent),
    COMPLETE: (NO, COMPLETED, NO, NO, NO, NO),
    EXPIRE: (EXPIRED, NO, NO, NO, NO, NO),
    VOID: (CANCELLED, NO_VOID, NO_VOID, NO_VOID, NO_VOID, NO_VOID),
    CANCEL: (CANCELLED, CANCELLED, NO, NO, NO, NO),
    FLAG_FRAUD: (FRAUDULENT, FRAUDULENT, FRAUDULENT, FRAUDULENT, FRAUDULENT, NO),
}  # fmt: skip
STATUS_COLUMNS = (SOLD, REDEEMED, COMPLETED, EXPIRED, CANCELLED, FRAUDULENT)
REFUNDED = {(EXPIRE, SOLD), (VOID, SOLD), (CANCEL, SOLD), (CANCEL, REDEEMED)}

TABLE_CASES = [
    pytest.param(status, action, outcome, id=f"{action}-{status}")
    for action, row in EXPECTED_TABLE.items()
    for status, outcome in zip(STATUS_COLUMNS, row, strict=True)
]


def test_expected_table_covers_every_status_and_action() -> None:
    assert set(EXPECTED_TABLE) == set(VoucherAction)
    assert set(STATUS_COLUMNS) == set(VoucherStatus)
    assert len(TABLE_CASES) == 36


@pytest.mark.parametrize(("status", "action", "outcome"), TABLE_CASES)
def test_transition_table(
    status: VoucherStatus, action: VoucherAction, outcome: VoucherStatus | type[DomainError]
) -> None:
    if isinstance(outcome, VoucherStatus):
        assert next_voucher_status(status, action) is outcome
        move = apply_voucher_action(status, action, purchase_price=PRICE, voucher_code="ABCD-EFGH-JKMN")
        expected_refund = (
            LedgerEntry(LedgerEntryKind.REFUND, PRICE, "ABCD-EFGH-JKMN") if (action, status) in REFUNDED else None
        )
        assert move == VoucherMove(outcome, expected_refund)
    else:
        with pytest.raises(DomainError) as refused:
            next_voucher_status(status, action)
        assert type(refused.value) is outcome
        assert refused.value.code == outcome.code
        with pytest.raises(outcome):
            apply_voucher_action(status, action, purchase_price=PRICE)


@pytest.mark.parametrize(("status", "action", "outcome"), TABLE_CASES)
def test_refund_is_the_purchase_price_exactly_on_expire_void_and_cancel_before_completion(
    status: VoucherStatus, action: VoucherAction, outcome: object
) -> None:
    refund = refund_for_move(action, status, PRICE)
    if (action, status) in REFUNDED:
        assert refund == LedgerEntry(LedgerEntryKind.REFUND, PRICE)
    else:
        assert refund is None


def test_partner_facing_error_codes() -> None:
    codes = {}
    for status in (REDEEMED, EXPIRED, CANCELLED, FRAUDULENT):
        with pytest.raises(DomainError) as refused:
            next_voucher_status(status, REDEEM)
        codes[status] = refused.value.code
    assert codes == {
        REDEEMED: "voucher_already_redeemed",
        EXPIRED: "voucher_expired",
        CANCELLED: "voucher_cancelled",
        FRAUDULENT: "voucher_fraudulent",
    }
    with pytest.raises(VoucherVoidNotAllowed) as void_refused:
        next_voucher_status(REDEEMED, VOID)
    assert void_refused.value.code == "voucher_void_not_allowed"


# ---- purchase ----------------------------------------------------------------------------------

ACCEPTED_AT = NOW - timedelta(days=3)


def purchase_facts(**changes: Any) -> PurchaseFacts:
    """Facts of a purchase every rule lets through (a scheduled course starting tomorrow); `changes` break one."""
    facts = PurchaseFacts(
        participant_status=ParticipantStatus.ACTIVE,
        accepted_at=ACCEPTED_AT,
        balance=3_500_000,
        price=PRICE,
        is_first_purchase=True,
        has_active_training=False,
        already_bought_course=False,
        course_on_sale=True,
        schedule=ScheduleOffer(starts_at=NOW + timedelta(days=1), seats_left=10),
    )
    return dataclasses.replace(facts, **changes)


def test_valid_purchase_passes_for_scheduled_and_self_paced() -> None:
    for scheme in SCHEME_LIST:
        check_purchase(purchase_facts(), scheme, NOW)
        check_purchase(purchase_facts(schedule=None), scheme, NOW)


# In precedence order: each breaks one rule; the first rule broken is the one reported.
BROKEN_RULES: list[tuple[str, dict[str, Any], type[DomainError]]] = [
    ("frozen", {"participant_status": ParticipantStatus.FROZEN}, ParticipantFrozen),
    ("not on sale", {"course_on_sale": False}, CourseNotOnSale),
    ("deadline missed", {"accepted_at": NOW - timedelta(days=60)}, ParticipantRevoked),
    ("bought before", {"already_bought_course": True}, CourseAlreadyPurchased),
    ("training open", {"has_active_training": True}, ActiveTrainingExists),
    ("schedule started", {"schedule": ScheduleOffer(starts_at=NOW, seats_left=10)}, CourseNotOnSale),
    ("schedule full", {"schedule": ScheduleOffer(starts_at=NOW + timedelta(days=1), seats_left=0)}, ScheduleFull),
    ("balance short", {"balance": PRICE - 1}, InsufficientBalance),
]


@pytest.mark.parametrize(("name", "change", "error"), BROKEN_RULES, ids=[rule[0] for rule in BROKEN_RULES])
@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_each_purchase_rule_alone(scheme: Scheme, name: str, change: dict[str, Any], error: type[DomainError]) -> None:
    with pytest.raises(DomainError) as refused:
        check_purchase(purchase_facts(**change), scheme, NOW)
    assert type(refused.value) is error


@pytest.mark.parametrize("first", range(len(BROKEN_RULES)), ids=[rule[0] for rule in BROKEN_RULES])
def test_purchase_precedence_reports_the_first_broken_rule(first: int) -> None:
    # Break this rule and every later one at once (the two schedule rules cannot both be broken by one
    # schedule; "started" wins since it comes first).
    changes: dict[str, Any] = {}
    for _, change, _ in reversed(BROKEN_RULES[first:]):
        changes.update(change)
    with pytest.raises(DomainError) as refused:
        check_purchase(purchase_facts(**changes), SCHEME_2024, NOW)
    assert type(refused.value) is BROKEN_RULES[first][2]


def test_revoked_and_completed_participants_cannot_buy() -> None:
    with pytest.raises(ParticipantRevoked):
        check_purchase(purchase_facts(participant_status=ParticipantStatus.REVOKED), SCHEME_2024, NOW)
    with pytest.raises(InvalidStateTransition):
        check_purchase(purchase_facts(participant_status=ParticipantStatus.COMPLETED), SCHEME_2024, NOW)


@pytest.mark.parametrize(("scheme", "days"), [(SCHEME_2024, 15), (SCHEME_2020, 30)])
def test_first_purchase_deadline_boundary(scheme: Scheme, days: int) -> None:
    accepted_at = NOW - timedelta(days=days)
    check_purchase(purchase_facts(accepted_at=accepted_at), scheme, NOW)
    with pytest.raises(ParticipantRevoked) as refused:
        check_purchase(purchase_facts(accepted_at=accepted_at - ONE_SECOND), scheme, NOW)
    assert refused.value.code == "participant_revoked"
    # Only the first purchase is bound by it.
    check_purchase(purchase_facts(accepted_at=accepted_at - ONE_SECOND, is_first_purchase=False), scheme, NOW)


def test_schedule_must_start_strictly_after_now() -> None:
    check_purchase(purchase_facts(schedule=ScheduleOffer(starts_at=NOW + ONE_SECOND, seats_left=1)), SCHEME_2024, NOW)
    with pytest.raises(CourseNotOnSale):
        check_purchase(purchase_facts(schedule=ScheduleOffer(starts_at=NOW, seats_left=1)), SCHEME_2024, NOW)


@pytest.mark.parametrize(("seats_left", "full"), [(1, False), (0, True), (-1, True)])
def test_last_seat_can_be_sold(seats_left: int, full: bool) -> None:
    facts = purchase_facts(schedule=ScheduleOffer(starts_at=NOW + timedelta(hours=2), seats_left=seats_left))
    if full:
        with pytest.raises(ScheduleFull):
            check_purchase(facts, SCHEME_2024, NOW)
    else:
        check_purchase(facts, SCHEME_2024, NOW)


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_price_equal_to_balance_passes_one_rupiah_more_does_not(scheme: Scheme) -> None:
    balance = scheme.training_balance
    check_purchase(purchase_facts(balance=balance, price=balance), scheme, NOW)
    with pytest.raises(InsufficientBalance):
        check_purchase(purchase_facts(balance=balance, price=balance + 1), scheme, NOW)


# ---- redemption --------------------------------------------------------------------------------

START = NOW + timedelta(days=2)
SCHEDULED_FORMATS = ["webinar", "offline", "blended"]


def redemption(**changes: Any) -> dict[str, Any]:
    """Keyword arguments of a redemption every rule lets through (self-paced, well before expiry)."""
    arguments: dict[str, Any] = {
        "voucher_status": SOLD,
        "course_format": "self_paced",
        "expires_at": NOW + timedelta(days=10),
        "schedule_starts_at": None,
        "participant_status": ParticipantStatus.ACTIVE,
        "scheme": SCHEME_2024,
        "now": NOW,
    }
    arguments.update(changes)
    return arguments


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_self_paced_redeemable_until_expiry_instant(scheme: Scheme) -> None:
    expires_at = voucher_expires_at("self_paced", NOW, None, scheme)
    assert expires_at == NOW + timedelta(days=30)
    check_redemption(**redemption(scheme=scheme, expires_at=expires_at, now=expires_at))
    with pytest.raises(VoucherExpired) as refused:
        check_redemption(**redemption(scheme=scheme, expires_at=expires_at, now=expires_at + ONE_SECOND))
    assert refused.value.code == "voucher_expired"


@pytest.mark.parametrize("course_format", SCHEDULED_FORMATS)
@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
@pytest.mark.parametrize(
    ("offset", "open_"),
    [
        (-timedelta(minutes=60) - ONE_SECOND, False),
        (-timedelta(minutes=60), True),
        (timedelta(0), True),
        (timedelta(minutes=60), True),
        (timedelta(minutes=60) + ONE_SECOND, False),
        (-timedelta(days=1), False),
    ],
)
def test_scheduled_redemption_window_is_one_hour_either_side_inclusive(
    course_format: str, scheme: Scheme, offset: timedelta, open_: bool
) -> None:
    arguments = redemption(
        course_format=course_format,
        schedule_starts_at=START,
        # A scheduled voucher's expires_at is the window's end; the window alone decides.
        expires_at=voucher_expires_at(course_format, NOW, START, scheme),
        scheme=scheme,
        now=START + offset,
    )
    if open_:
        check_redemption(**arguments)
        assert "redeem" in allowed_actions(**arguments)
    else:
        with pytest.raises(RedemptionWindowClosed) as refused:
            check_redemption(**arguments)
        assert refused.value.code == "redemption_window_closed"
        assert "redeem" not in allowed_actions(**arguments)


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_scheduled_voucher_expires_when_its_window_closes(scheme: Scheme) -> None:
    opens, closes = redemption_window(START, scheme)
    assert (opens, closes) == (START - timedelta(minutes=60), START + timedelta(minutes=60))
    # Sold 45 days ahead of the schedule: the voucher must outlive the 30-day self-paced validity.
    sold_at = START - timedelta(days=45)
    assert voucher_expires_at("webinar", sold_at, START, scheme) == closes
    assert not is_due_to_expire(SOLD, closes, closes)
    assert is_due_to_expire(SOLD, closes, closes + ONE_SECOND)
    assert not is_due_to_expire(REDEEMED, closes, closes + ONE_SECOND)


def test_scheduled_voucher_without_its_schedule_is_a_caller_bug() -> None:
    with pytest.raises(InvalidRequest):
        check_redemption(**redemption(course_format="webinar"))
    with pytest.raises(InvalidRequest):
        allowed_actions(**redemption(course_format="offline"))
    with pytest.raises(InvalidRequest):
        voucher_expires_at("blended", NOW, None, SCHEME_2024)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (REDEEMED, VoucherAlreadyRedeemed),
        (COMPLETED, VoucherAlreadyRedeemed),
        (EXPIRED, VoucherExpired),
        (CANCELLED, VoucherCancelled),
        (FRAUDULENT, VoucherFraudulent),
    ],
)
def test_redemption_refused_by_voucher_status(status: VoucherStatus, error: type[DomainError]) -> None:
    with pytest.raises(DomainError) as refused:
        check_redemption(**redemption(voucher_status=status))
    assert type(refused.value) is error


@pytest.mark.parametrize(
    ("participant_status", "error"),
    [
        (ParticipantStatus.ACTIVE, None),
        (ParticipantStatus.COMPLETED, None),
        (ParticipantStatus.FROZEN, ParticipantFrozen),
        (ParticipantStatus.REVOKED, ParticipantRevoked),
    ],
)
def test_redemption_by_participant_status(
    participant_status: ParticipantStatus, error: type[DomainError] | None
) -> None:
    arguments = redemption(participant_status=participant_status)
    if error is None:
        check_redemption(**arguments)
    else:
        with pytest.raises(error):
            check_redemption(**arguments)


def test_redemption_precedence_voucher_then_participant_then_time() -> None:
    late = {"now": NOW + timedelta(days=11)}
    frozen = {"participant_status": ParticipantStatus.FROZEN}
    with pytest.raises(VoucherAlreadyRedeemed):
        check_redemption(**redemption(voucher_status=REDEEMED, **frozen, **late))
    with pytest.raises(ParticipantFrozen):
        check_redemption(**redemption(**frozen, **late))
    with pytest.raises(VoucherExpired):
        check_redemption(**redemption(**late))


@pytest.mark.parametrize(
    ("changes", "actions"),
    [
        ({}, ["redeem", "void"]),
        ({"now": NOW + timedelta(days=11)}, ["void"]),  # past expiry but the expiry job has not run yet
        ({"participant_status": ParticipantStatus.FROZEN}, ["void"]),
        ({"course_format": "webinar", "schedule_starts_at": NOW + timedelta(minutes=30)}, ["redeem", "void"]),
        ({"course_format": "webinar", "schedule_starts_at": NOW + timedelta(hours=3)}, ["void"]),
        ({"voucher_status": REDEEMED}, []),
        ({"voucher_status": COMPLETED}, []),
        ({"voucher_status": EXPIRED}, []),
        ({"voucher_status": CANCELLED}, []),
        ({"voucher_status": FRAUDULENT}, []),
    ],
)
def test_allowed_actions_for_the_partner_view(changes: dict[str, Any], actions: list[str]) -> None:
    assert allowed_actions(**redemption(**changes)) == actions


@pytest.mark.parametrize(
    ("course_status", "redeemable"),
    [
        (CourseStatus.APPROVED, True),
        (CourseStatus.ARCHIVED, True),
        (CourseStatus.SUSPENDED, False),
    ],
)
def test_a_suspended_course_s_vouchers_cannot_be_redeemed_an_archived_one_s_can(
    course_status: CourseStatus, redeemable: bool
) -> None:
    arguments = redemption(course_status=course_status)
    if redeemable:
        check_redemption(**arguments)
    else:
        with pytest.raises(CourseNotOnSale):
            check_redemption(**arguments)
    assert ("redeem" in allowed_actions(**arguments)) is redeemable


def test_a_suspended_course_is_checked_after_the_voucher_itself() -> None:
    with pytest.raises(VoucherAlreadyRedeemed):
        check_redemption(**redemption(voucher_status=VoucherStatus.REDEEMED, course_status=CourseStatus.SUSPENDED))


def test_refusal_details_write_times_in_utc_with_z() -> None:
    expires_at = datetime(2026, 11, 28, 16, 0, tzinfo=timezone(timedelta(hours=7)))
    with pytest.raises(VoucherExpired) as refused:
        check_redemption(**redemption(expires_at=expires_at, now=expires_at + ONE_SECOND))
    assert refused.value.detail == "The voucher expired at 2026-11-28T09:00:00Z."


@pytest.mark.parametrize("scheme", SCHEME_LIST)
def test_no_purchase_after_the_balance_deadline_even_before_the_sweep(scheme: Scheme) -> None:
    accepted_at = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    last_day = datetime(2026, scheme.balance_deadline_month, scheme.balance_deadline_day, 23, 59, tzinfo=UTC)
    facts = purchase_facts(accepted_at=accepted_at, is_first_purchase=False, schedule=None)
    check_purchase(facts, scheme, last_day)
    with pytest.raises(InsufficientBalance, match="lapsed"):
        check_purchase(facts, scheme, last_day + timedelta(minutes=1))
