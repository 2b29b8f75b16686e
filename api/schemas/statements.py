"""Statement bodies: monthly statements, their lines, a period's closure, payment and the partner's bank account."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import VISIBLE, CourseId, CreatedAt, PartnerId, RequestBody, described, literal_of
from domain.statements import LineKind, StatementStatus

if TYPE_CHECKING:
    StatementStatusName: TypeAlias = str
    LineKindName: TypeAlias = str
else:
    StatementStatusName = literal_of(StatementStatus)
    LineKindName = literal_of(LineKind)

Period = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
PERIOD = described("The calendar month in Asia/Jakarta, `YYYY-MM`.")
PaymentReference = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e][\x20-\x7e]*$", examples=["TRF-2026-12-0042"])
]


class Statement(msgspec.Struct, kw_only=True):
    """One partner's month (Asia/Jakarta). Open statements show running totals; closed ones frozen ones.

    `net` = `total_payable` - `total_clawed_back` + `total_carried_forward`; it is what the programme pays.
    """

    period: Annotated[str, PERIOD]
    status: Annotated[
        StatementStatusName,
        described(
            "`open` (lines are still added; totals are running), `closed` (the programme closed the month: totals "
            "frozen) or `paid` (the programme paid the net)."
        ),
    ]
    total_payable: Annotated[int, described("Sum of the `payable` lines, in integer rupiah.")]
    total_clawed_back: Annotated[
        int, described("Sum of the `clawback` lines, in integer rupiah, as a positive number.")
    ]
    total_carried_forward: Annotated[
        int, described("Sum of the `carried_forward` lines, in integer rupiah (negative: a debt carried in).")
    ]
    net: Annotated[
        int, described("`total_payable` - `total_clawed_back` + `total_carried_forward` in rupiah: what is paid.")
    ]
    line_count: Annotated[int, described("How many lines the statement has.")]
    period_starts_at: Annotated[datetime, described("The month's first instant (00:00 Asia/Jakarta), in UTC.")]
    period_ends_at: Annotated[datetime, described("The next month's first instant (excluded), in UTC.")]
    closed_at: Annotated[datetime | None, described("When the programme closed it; null while `open`. UTC.")]
    paid_at: Annotated[datetime | None, described("When the programme recorded the payment; null before. UTC.")]
    payment_reference: Annotated[str | None, described("The transfer's reference; null until `paid`.")]


class ProgrammeStatement(Statement, kw_only=True):
    id: Annotated[str, described("The statement's id.")]
    partner_id: Annotated[PartnerId, described("The partner the statement is for.")]


class StatementLine(msgspec.Struct, kw_only=True):
    id: Annotated[str, described("The line's id.")]
    kind: Annotated[
        LineKindName,
        described(
            "`payable` (a redeemed voucher's price, owed to you), `clawback` (a redeemed voucher later cancelled or "
            "found fraudulent: its price taken back) or `carried_forward` (a negative net moved between months)."
        ),
    ]
    voucher_code: Annotated[str | None, described("The voucher a payable or clawback line is for; else null.")]
    course_id: Annotated[CourseId | None, described("The voucher's course; null for a carried-forward line.")]
    amount: Annotated[int, described("Integer rupiah: positive adds to the net, negative takes from it.")]
    created_at: CreatedAt


class PeriodClosure(msgspec.Struct, kw_only=True):
    """A closed period and every statement it closed (possibly none)."""

    period: Annotated[str, PERIOD]
    closed_at: Annotated[datetime, described("When the period was closed; RFC 3339 in UTC.")]
    statements: Annotated[list[ProgrammeStatement], described("The statements this closure closed.")]


class MarkPaid(RequestBody):
    reference: Annotated[PaymentReference, described("The bank transfer's reference, printable ASCII.")]


class BankAccount(RequestBody):
    """Where the programme transfers a partner's statement nets."""

    bank_name: Annotated[
        str, msgspec.Meta(min_length=1, max_length=100, pattern=VISIBLE), described("The bank's name, e.g. `BNI`.")
    ]
    account_number: Annotated[
        str, msgspec.Meta(pattern=r"^[0-9A-Za-z-]{4,40}$"), described("The account number at that bank.")
    ]
    account_name: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=200, pattern=VISIBLE),
        described("The account holder's name, as the bank has it."),
    ]


class PartnerBankAccount(BankAccount, kw_only=True):
    partner_id: Annotated[PartnerId, described("The partner whose account it is.")]
