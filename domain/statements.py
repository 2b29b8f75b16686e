"""Partner statements: what a partner is owed, month by month, in the programme's time zone.

A statement covers one calendar month in Asia/Jakarta (UTC+7, no daylight saving): period `2026-11` runs from
2026-11-01T00:00+07:00 (2026-10-31T17:00Z) up to, not including, 2026-12-01T00:00+07:00. Its lines are
append-only: a redemption adds a `payable` line of the price; a voucher cancelled after redemption or flagged
fraudulent adds a `clawback` line of minus that price to the partner's *current* open statement (the original
line is never touched). When a period closes, a statement whose net is negative (the partner owes) passes its
debt on: a positive `carried_forward` line brings it to zero, and the same amount, negative, opens the partner's
next statement. So the nets of all statements always add up to payable - clawed back.

Status: `open` → `closed` (totals frozen, only after the month has ended) → `paid` (with a payment reference).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.errors import FieldProblem, InvalidStateTransition, ValidationFailed

PROGRAMME_TIME_ZONE = ZoneInfo("Asia/Jakarta")
"""Where the programme's months begin and end."""

# A month of the years 2000 to 8999, `YYYY-MM`; the spec states the same pattern for every period parameter.
PERIOD_PATTERN = r"^[2-8][0-9]{3}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)


class StatementStatus(StrEnum):
    OPEN = "open"
    """Lines are still being added."""
    CLOSED = "closed"
    """The month ended and the programme closed it: totals frozen, no line is ever added again."""
    PAID = "paid"
    """The programme paid the net and recorded its payment reference."""


class LineKind(StrEnum):
    PAYABLE = "payable"
    """The price of a redeemed voucher, owed to the partner (positive)."""
    CLAWBACK = "clawback"
    """A redeemed voucher later cancelled or found fraudulent: its price taken back (negative)."""
    CARRIED_FORWARD = "carried_forward"
    """A negative net moved from a closed statement to the next one (positive on the old, negative on the new)."""


def parse_period(text: str, field: str = "period") -> str:
    """The period itself if it reads `YYYY-MM` (a real month, year 2000 to 8999); ValidationFailed otherwise."""
    if _PERIOD.fullmatch(text) is None:
        raise ValidationFailed(
            "A period is a calendar month written YYYY-MM.", problems=(FieldProblem(field, "expected YYYY-MM"),)
        )
    return text


def period_of(instant: datetime) -> str:
    """The period (`YYYY-MM`) an instant falls in, by the calendar in Asia/Jakarta."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs its UTC offset")
    return instant.astimezone(PROGRAMME_TIME_ZONE).strftime("%Y-%m")


def period_starts_at(period: str) -> datetime:
    """The first instant of the period (midnight of its first day in Jakarta)."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return datetime(year, month, 1, tzinfo=PROGRAMME_TIME_ZONE)


def next_period(period: str) -> str:
    """The month after `period`."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def period_ends_at(period: str) -> datetime:
    """The first instant after the period (midnight of the next month's first day in Jakarta)."""
    return period_starts_at(next_period(period))


def has_ended(period: str, now: datetime) -> bool:
    """True once `now` is at or after the first instant of the following month."""
    return now >= period_ends_at(period)


def check_can_close(period: str, now: datetime, *, already_closed: bool) -> None:
    """A period closes once, and only after it has ended on the clock `now` was read from."""
    if already_closed:
        raise InvalidStateTransition(f"Period {period} is already closed.")
    if not has_ended(period, now):
        ends = period_ends_at(period).astimezone(PROGRAMME_TIME_ZONE).isoformat()
        raise InvalidStateTransition(f"Period {period} has not ended yet; it ends at {ends} (Asia/Jakarta).")


def check_can_close_statement(status: StatementStatus) -> None:
    """Only an open statement closes."""
    if status != StatementStatus.OPEN:
        raise InvalidStateTransition(f"A {status} statement cannot be closed.")


def check_can_mark_paid(status: StatementStatus, reference: str | None, new_reference: str) -> bool:
    """Whether marking paid changes anything: False for a repeat with the same reference (idempotent).

    An open statement cannot be paid (its totals are not frozen); a paid one cannot be paid again under another
    reference.
    """
    if status == StatementStatus.OPEN:
        raise InvalidStateTransition("An open statement cannot be paid; close its period first.")
    if status == StatementStatus.PAID:
        if reference == new_reference:
            return False
        raise InvalidStateTransition("The statement is already paid under another payment reference.")
    return True


@dataclass(frozen=True, slots=True)
class Totals:
    """A statement's figures, from its lines: clawed back is a positive sum; net is what all lines add up to."""

    total_payable: int
    total_clawed_back: int
    total_carried_forward: int
    line_count: int

    @property
    def net(self) -> int:
        return self.total_payable - self.total_clawed_back + self.total_carried_forward


def totals_of(lines: list[tuple[LineKind, int]]) -> Totals:
    """The totals of (kind, signed amount) lines."""
    return Totals(
        total_payable=sum(amount for kind, amount in lines if kind == LineKind.PAYABLE),
        total_clawed_back=-sum(amount for kind, amount in lines if kind == LineKind.CLAWBACK),
        total_carried_forward=sum(amount for kind, amount in lines if kind == LineKind.CARRIED_FORWARD),
        line_count=len(lines),
    )


def totals_by_kind(sums: Mapping[LineKind, tuple[int, int]]) -> Totals:
    """The totals from per-kind (signed sum, line count) pairs, as the database aggregates them."""
    return Totals(
        total_payable=sums.get(LineKind.PAYABLE, (0, 0))[0],
        total_clawed_back=-sums.get(LineKind.CLAWBACK, (0, 0))[0],
        total_carried_forward=sums.get(LineKind.CARRIED_FORWARD, (0, 0))[0],
        line_count=sum(count for _, count in sums.values()),
    )


@dataclass(frozen=True, slots=True)
class CarryForward:
    """The two lines that pass a negative net on: `amount` (> 0) on the closing statement, minus it on the next."""

    amount: int
    to_period: str


def carry_forward(period: str, net: int) -> CarryForward | None:
    """What a closing statement with `net` passes to the next period: nothing unless the partner owes."""
    if net >= 0:
        return None
    return CarryForward(amount=-net, to_period=next_period(period))


def clawback_amount(payable_amount: int) -> int:
    """The clawback line for a voucher whose payable line was `payable_amount`: the same price, negative."""
    if payable_amount <= 0:
        raise ValueError("a payable line is positive")
    return -payable_amount


def after_carry_forward(totals: Totals, carry: CarryForward | None) -> Totals:
    """A closing statement's frozen totals once its carry-forward line (if any) is added: the net is then ≥ 0."""
    if carry is None:
        return totals
    return Totals(
        total_payable=totals.total_payable,
        total_clawed_back=totals.total_clawed_back,
        total_carried_forward=totals.total_carried_forward + carry.amount,
        line_count=totals.line_count + 1,
    )
