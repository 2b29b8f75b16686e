"""Incentive disbursement rules: transfers per scheme, account references, results that are final, surveys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import disbursements as rules
from domain.disbursements import AttemptStatus, ChannelKind, Result
from domain.errors import InvalidStateTransition, NotFound, ValidationFailed
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024

ELIGIBLE = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def test_scheme_2024_pays_once_and_2020_four_times_a_month_apart() -> None:
    once = rules.plan_transfers(
        amount_per_payment=SCHEME_2024.incentive_amount, payments=SCHEME_2024.incentive_payments, eligible_at=ELIGIBLE
    )
    assert once == [rules.PlannedTransfer(sequence=1, amount=600_000, payable_from=ELIGIBLE)]
    monthly = rules.plan_transfers(
        amount_per_payment=SCHEME_2020.incentive_amount, payments=SCHEME_2020.incentive_payments, eligible_at=ELIGIBLE
    )
    assert [t.sequence for t in monthly] == [1, 2, 3, 4]
    assert sum(t.amount for t in monthly) == 2_400_000
    # 31 January: the end of February, then 31 March and 30 April.
    assert [t.payable_from.date().isoformat() for t in monthly] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    ]


def test_an_incentive_of_nothing_has_no_transfers_and_instants_need_an_offset() -> None:
    assert rules.plan_transfers(amount_per_payment=0, payments=3, eligible_at=ELIGIBLE) == []
    with pytest.raises(ValueError, match="offset"):
        rules.plan_transfers(amount_per_payment=1, payments=1, eligible_at=datetime(2026, 1, 1))


def test_a_year_boundary_is_crossed_by_calendar_months() -> None:
    plan = rules.plan_transfers(amount_per_payment=1, payments=3, eligible_at=datetime(2026, 12, 15, tzinfo=UTC))
    assert [t.payable_from.date().isoformat() for t in plan] == ["2026-12-15", "2027-01-15", "2027-02-15"]


@pytest.mark.parametrize(
    ("kind", "reference", "ok"),
    [
        (ChannelKind.BANK, "0123456789", True),
        (ChannelKind.BANK, "12345", False),
        (ChannelKind.BANK, "0123-456789", False),
        (ChannelKind.E_WALLET, "081234567890", True),
        (ChannelKind.E_WALLET, "+6281234567890", True),
        (ChannelKind.E_WALLET, "6281234567890", True),
        (ChannelKind.E_WALLET, "0212345678", False),
        (ChannelKind.E_WALLET, "0123456789", False),
    ],
)
def test_account_references_fit_their_channel(kind: ChannelKind, reference: str, ok: bool) -> None:
    if ok:
        assert rules.check_account_reference(kind, reference) == reference
    else:
        with pytest.raises(ValidationFailed):
            rules.check_account_reference(kind, reference)


def test_masking_shows_only_the_last_four() -> None:
    assert rules.mask_account_reference("081234567890") == "****7890"
    assert rules.mask_account_reference("1234567") == "****"


def test_payable_once_its_date_has_come_and_the_participant_is_in_good_standing() -> None:
    now = ELIGIBLE + timedelta(days=1)
    assert rules.is_payable(payable_from=ELIGIBLE, participant_status="active", now=now)
    assert rules.is_payable(payable_from=ELIGIBLE, participant_status="completed", now=now)
    assert not rules.is_payable(payable_from=ELIGIBLE, participant_status="frozen", now=now)
    assert not rules.is_payable(payable_from=ELIGIBLE, participant_status="revoked", now=now)
    assert not rules.is_payable(payable_from=now + timedelta(seconds=1), participant_status="active", now=now)


PAID = Result(status=AttemptStatus.PAID, reference="OVO-1", reason=None)
FAILED = Result(status=AttemptStatus.FAILED, reference=None, reason="account closed")


def test_a_pending_attempt_takes_either_result() -> None:
    assert rules.check_can_record(AttemptStatus.PENDING, None, PAID)
    assert rules.check_can_record(AttemptStatus.PENDING, None, FAILED)


def test_a_result_is_final_and_a_repeat_changes_nothing() -> None:
    assert not rules.check_can_record(AttemptStatus.PAID, PAID, PAID)
    assert not rules.check_can_record(AttemptStatus.FAILED, FAILED, FAILED)
    with pytest.raises(InvalidStateTransition, match="already paid"):
        rules.check_can_record(AttemptStatus.PAID, PAID, Result(AttemptStatus.PAID, "OVO-2", None))
    with pytest.raises(InvalidStateTransition, match="already paid"):
        rules.check_can_record(AttemptStatus.PAID, PAID, FAILED)
    with pytest.raises(InvalidStateTransition, match="later batch"):
        rules.check_can_record(AttemptStatus.FAILED, FAILED, PAID)


@pytest.mark.parametrize(
    "result",
    [
        Result(AttemptStatus.PAID, None, None),
        Result(AttemptStatus.PAID, "X", "why"),
        Result(AttemptStatus.FAILED, None, None),
        Result(AttemptStatus.FAILED, "X", "why"),
        Result(AttemptStatus.PENDING, None, None),
    ],
)
def test_results_need_their_reference_or_reason(result: Result) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_result_shape(result, 0)


def test_batches_complete_when_nothing_is_pending_and_are_never_empty() -> None:
    assert rules.batch_status(2) is rules.BatchStatus.OPEN
    assert rules.batch_status(0) is rules.BatchStatus.COMPLETED
    rules.check_batch_has_transfers(1, "ovo")
    with pytest.raises(InvalidStateTransition, match="ovo"):
        rules.check_batch_has_transfers(0, "ovo")


def test_survey_incentives_follow_the_scheme() -> None:
    assert rules.survey_incentive_amount(SCHEME_2024, 1) == 50_000
    assert rules.survey_incentive_amount(SCHEME_2024, 2) == 50_000
    for survey in (0, 3):  # a number the scheme has no survey for: nothing to find
        with pytest.raises(NotFound):
            rules.survey_incentive_amount(SCHEME_2024, survey)
