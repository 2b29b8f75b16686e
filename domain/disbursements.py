"""Incentive disbursement, Government-to-Person (PROGRAMME.md, "Learning progress").

An eligible incentive becomes one **transfer** per payment of the participant's scheme (2024: one of Rp 600,000;
2020: four of Rp 600,000, a calendar month apart). The programme pays transfers through the payment channel the
participant chose (a bank or an e-wallet) in **batches**, one channel per batch. Each time a batch takes a transfer
it makes an **attempt**: `pending` until the channel answers, then `paid` (with the channel's reference) or `failed`
(with a reason). A failed transfer is payable again and goes into a later batch; a transfer is never paid twice
(PostgreSQL holds at most one attempt that has not failed per transfer).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import FieldProblem, InvalidStateTransition, NotFound, ValidationFailed
from domain.schemes import Scheme


class ChannelKind(StrEnum):
    BANK = "bank"
    E_WALLET = "e_wallet"


class AttemptStatus(StrEnum):
    PENDING = "pending"
    """In a batch; the channel has not answered yet."""
    PAID = "paid"
    """The channel paid it; its reference is recorded. Final."""
    FAILED = "failed"
    """The channel refused it (reason recorded); the transfer goes into a later batch. Final for this attempt."""


class BatchStatus(StrEnum):
    OPEN = "open"
    """Some attempts have no result yet."""
    COMPLETED = "completed"
    """Every attempt has a result."""


PAYABLE_PARTICIPANT_STATUSES = ("active", "completed")
"""A frozen participant (under investigation) or a revoked one is not paid; a frozen one is paid once unfrozen."""

_BANK_ACCOUNT = re.compile(r"^[0-9]{6,20}$")
_E_WALLET_ACCOUNT = re.compile(r"^(\+62|62|0)8[0-9]{7,12}$")


@dataclass(frozen=True, slots=True)
class PlannedTransfer:
    """One payment of an incentive: its number (1..n), amount and the instant from which it may be paid."""

    sequence: int
    amount: int
    payable_from: datetime


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def plan_transfers(*, amount_per_payment: int, payments: int, eligible_at: datetime) -> list[PlannedTransfer]:
    """The transfers of an incentive: payment k is payable k - 1 calendar months after eligibility.

    (The 31st becomes the last day of a shorter month.) An incentive of nothing has no transfers.
    """
    if eligible_at.tzinfo is None:
        raise ValueError("an instant needs its UTC offset")
    if amount_per_payment <= 0:
        return []
    return [
        PlannedTransfer(sequence=k, amount=amount_per_payment, payable_from=_add_months(eligible_at, k - 1))
        for k in range(1, payments + 1)
    ]


def check_account_reference(kind: ChannelKind, reference: str) -> str:
    """The account reference if it fits the channel: a bank account number (6 to 20 digits) or an e-wallet's
    phone number (Indonesian mobile, `08…`, `628…` or `+628…`); ValidationFailed otherwise."""
    pattern, expected = (
        (_BANK_ACCOUNT, "a bank account number of 6 to 20 digits")
        if kind is ChannelKind.BANK
        else (_E_WALLET_ACCOUNT, "the e-wallet's Indonesian mobile number (08…, 628… or +628…)")
    )
    if pattern.match(reference) is None:
        raise ValidationFailed(
            f"This account reference does not fit a {kind.value.replace('_', '-')} channel.",
            problems=(FieldProblem("account_reference", f"expected {expected}"),),
        )
    return reference


def mask_account_reference(reference: str) -> str:
    """What responses show of an account: its last four characters after `****` (all masked when shorter than 8)."""
    if len(reference) < 8:
        return "****"
    return "****" + reference[-4:]


def is_payable(*, payable_from: datetime, participant_status: str, now: datetime) -> bool:
    """A transfer may go into a batch once its date has come, while its participant is active or completed."""
    return payable_from <= now and participant_status in PAYABLE_PARTICIPANT_STATUSES


@dataclass(frozen=True, slots=True)
class Result:
    """What the channel answered for one transfer of a batch."""

    status: AttemptStatus
    reference: str | None
    reason: str | None


def check_result_shape(result: Result, index: int) -> None:
    """`paid` needs the channel's reference and no reason; `failed` needs a reason and no reference."""
    field = f"results[{index}]"
    if result.status is AttemptStatus.PAID and (result.reference is None or result.reason is not None):
        raise ValidationFailed(
            "A paid transfer carries the channel's reference, and no reason.",
            problems=(FieldProblem(f"{field}.reference", "required for paid, with no reason"),),
        )
    if result.status is AttemptStatus.FAILED and (result.reason is None or result.reference is not None):
        raise ValidationFailed(
            "A failed transfer carries a reason, and no reference.",
            problems=(FieldProblem(f"{field}.reason", "required for failed, with no reference"),),
        )
    if result.status is AttemptStatus.PENDING:
        raise ValidationFailed(
            "A result is paid or failed.", problems=(FieldProblem(f"{field}.status", "expected paid or failed"),)
        )


def check_can_record(current: AttemptStatus, recorded: Result | None, new: Result) -> bool:
    """Whether recording `new` on an attempt changes anything: False for an exact repeat (idempotent).

    A pending attempt takes either result. A result is final: the same one again changes nothing, any other (a
    different reference, or failed after paid, or paid after failed) is refused. A failed transfer is paid by a
    later batch, never by turning its failed attempt into a paid one.
    """
    if current is AttemptStatus.PENDING:
        return True
    if recorded == new:
        return False
    if current is AttemptStatus.PAID:
        raise InvalidStateTransition("The transfer is already paid in this batch under another result.")
    raise InvalidStateTransition("The transfer failed in this batch; it is paid through a later batch.")


def batch_status(pending_attempts: int) -> BatchStatus:
    """A batch is completed once none of its attempts is still pending."""
    return BatchStatus.OPEN if pending_attempts else BatchStatus.COMPLETED


def check_batch_has_transfers(taken: int, channel: str) -> None:
    """A batch is made only when there is something to pay through its channel."""
    if taken == 0:
        raise InvalidStateTransition(f"No transfer is payable through channel {channel} now.")


def survey_incentive_amount(scheme: Scheme, survey: int) -> int:
    """The amount recorded for survey number `survey` (1..n of the scheme); NotFound beyond the scheme's n (the
    number is valid, the scheme has no such survey)."""
    if not 1 <= survey <= scheme.survey_incentive_payments:
        raise NotFound(
            f"Scheme {scheme.code} has {scheme.survey_incentive_payments} survey incentive(s), not {survey}."
        )
    return scheme.survey_incentive_amount
