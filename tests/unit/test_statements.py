"""Statement rules: periods in Asia/Jakarta, transitions, totals and carry-forward (domain/statements.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidStateTransition, ValidationFailed
from domain.statements import (
    CarryForward,
    LineKind,
    StatementStatus,
    Totals,
    after_carry_forward,
    carry_forward,
    check_can_close,
    check_can_close_statement,
    check_can_mark_paid,
    clawback_amount,
    has_ended,
    next_period,
    parse_period,
    period_ends_at,
    period_of,
    period_starts_at,
    totals_by_kind,
    totals_of,
)

JAKARTA = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("instant", "period"),
    [
        # 17:00 UTC on the last day of a month is already midnight of the next month in Jakarta (UTC+7).
        (datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC), "2026-10"),
        (datetime(2026, 10, 31, 17, 0, tzinfo=UTC), "2026-11"),
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "2027-01"),
        (datetime(2026, 11, 1, 0, 0, tzinfo=JAKARTA), "2026-11"),
        (datetime(2026, 11, 30, 23, 59, tzinfo=JAKARTA), "2026-11"),
    ],
)
def test_the_period_of_an_instant_is_its_month_in_jakarta(instant: datetime, period: str) -> None:
    assert period_of(instant) == period


def test_a_naive_instant_has_no_period() -> None:
    with pytest.raises(ValueError, match="offset"):
        period_of(datetime(2026, 11, 1))  # a naive datetime is the point of the test


def test_period_bounds_are_jakarta_midnights() -> None:
    assert period_starts_at("2026-11") == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    assert period_ends_at("2026-11") == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert period_ends_at("2026-12") == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert (next_period("2026-11"), next_period("2026-12")) == ("2026-12", "2027-01")


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "1999-12", "9000-01", ""])
def test_a_period_is_a_real_month(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_period(bad)


def test_a_period_ends_at_the_first_instant_of_the_next_month() -> None:
    end = period_ends_at("2026-11")
    assert not has_ended("2026-11", end - timedelta(microseconds=1))
    assert has_ended("2026-11", end)


def test_a_period_closes_once_and_only_after_it_ended() -> None:
    end = period_ends_at("2026-11")
    with pytest.raises(InvalidStateTransition, match="not ended"):
        check_can_close("2026-11", end - timedelta(seconds=1), already_closed=False)
    with pytest.raises(InvalidStateTransition, match="already closed"):
        check_can_close("2026-11", end + timedelta(days=1), already_closed=True)
    check_can_close("2026-11", end, already_closed=False)


@pytest.mark.parametrize(
    ("status", "closes"),
    [(StatementStatus.OPEN, True), (StatementStatus.CLOSED, False), (StatementStatus.PAID, False)],
)
def test_only_an_open_statement_closes(status: StatementStatus, closes: bool) -> None:
    if closes:
        check_can_close_statement(status)
    else:
        with pytest.raises(InvalidStateTransition):
            check_can_close_statement(status)


def test_paying_a_statement() -> None:
    with pytest.raises(InvalidStateTransition, match="open"):
        check_can_mark_paid(StatementStatus.OPEN, None, "TRF-1")
    assert check_can_mark_paid(StatementStatus.CLOSED, None, "TRF-1") is True
    assert check_can_mark_paid(StatementStatus.PAID, "TRF-1", "TRF-1") is False  # the same reference: idempotent
    with pytest.raises(InvalidStateTransition, match="another"):
        check_can_mark_paid(StatementStatus.PAID, "TRF-1", "TRF-2")


def test_totals_add_lines_by_kind() -> None:
    lines = [
        (LineKind.PAYABLE, 1_500_000),
        (LineKind.PAYABLE, 500_000),
        (LineKind.CLAWBACK, -1_500_000),
        (LineKind.CARRIED_FORWARD, -200_000),
    ]
    totals = totals_of(lines)
    assert totals == Totals(
        total_payable=2_000_000, total_clawed_back=1_500_000, total_carried_forward=-200_000, line_count=4
    )
    assert totals.net == 300_000 == sum(amount for _, amount in lines)
    by_kind = totals_by_kind({LineKind.PAYABLE: (2_000_000, 2), LineKind.CLAWBACK: (-1_500_000, 1)})
    assert (by_kind.net, by_kind.line_count, by_kind.total_carried_forward) == (500_000, 3, 0)


def test_a_negative_net_is_carried_forward_and_the_closed_statement_nets_zero() -> None:
    assert carry_forward("2026-11", 0) is None
    assert carry_forward("2026-11", 10) is None
    carry = carry_forward("2026-12", -750_000)
    assert carry == CarryForward(amount=750_000, to_period="2027-01")
    owed = totals_of([(LineKind.CLAWBACK, -750_000)])
    closed = after_carry_forward(owed, carry)
    assert (closed.net, closed.line_count, closed.total_carried_forward) == (0, 2, 750_000)
    assert after_carry_forward(owed, None) == owed


def test_a_clawback_is_the_payable_amount_negated() -> None:
    assert clawback_amount(1_500_000) == -1_500_000
    with pytest.raises(ValueError, match="positive"):
        clawback_amount(0)
