"""Statement bodies: monthly statements, their lines, a period's closure, payment and the partner's bank account."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import RequestBody

Period = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
PaymentReference = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e][\x20-\x7e]*$", examples=["TRF-2026-12-0042"])
]


class Statement(msgspec.Struct, kw_only=True):
    """One partner's month (Asia/Jakarta). Open statements show running totals; closed ones frozen ones.

    `net` = `total_payable` - `total_clawed_back` + `total_carried_forward`; it is what the programme pays.
    """

    period: str
    status: Literal["open", "closed", "paid"]
    total_payable: int
    total_clawed_back: int
    total_carried_forward: int
    net: int
    line_count: int
    period_starts_at: datetime
    period_ends_at: datetime
    closed_at: datetime | None
    paid_at: datetime | None
    payment_reference: str | None


class ProgrammeStatement(Statement, kw_only=True):
    id: str
    partner_id: str


class StatementLine(msgspec.Struct, kw_only=True):
    id: str
    kind: Literal["payable", "clawback", "carried_forward"]
    voucher_code: str | None
    course_id: str | None
    amount: int
    created_at: datetime


class PeriodClosure(msgspec.Struct, kw_only=True):
    """A closed period and every statement it closed (possibly none)."""

    period: str
    closed_at: datetime
    statements: list[ProgrammeStatement]


class MarkPaid(RequestBody):
    reference: PaymentReference


class BankAccount(RequestBody):
    """Where the programme transfers a partner's statement nets."""

    bank_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
    account_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z-]{4,40}$")]
    account_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class PartnerBankAccount(BankAccount, kw_only=True):
    partner_id: str
