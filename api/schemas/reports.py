"""Report bodies: the programme's summary over a time range, per scheme."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import described


class Figure(msgspec.Struct, kw_only=True):
    """How many, and how much money they are."""

    count: Annotated[int, described("How many.")] = 0
    amount: Annotated[int, described("Their sum, in integer rupiah.")] = 0


class VoucherFigures(msgspec.Struct, kw_only=True):
    """Vouchers by what happened to them in the range (a voucher sold before the range may be redeemed in it)."""

    sold: Annotated[Figure, described("Vouchers sold (purchases), at their price.")]
    redeemed: Annotated[Figure, described("Vouchers redeemed (the partners' payable lines).")]
    expired: Annotated[Figure, described("Vouchers that expired unredeemed (refunded).")]
    voided: Annotated[Figure, described("Vouchers their partner voided before redemption (refunded).")]
    cancelled: Annotated[Figure, described("Vouchers the programme cancelled.")]
    fraudulent: Annotated[Figure, described("Vouchers the programme flagged as fraud.")]
    clawed_back: Annotated[Figure, described("Redeemed vouchers whose price was taken back from the partner.")]


class MoneyFigures(msgspec.Struct, kw_only=True):
    """The participant ledger in the range: granted - spent + refunded - lapsed is the change of all balances."""

    granted: Annotated[int, described("Training balances granted, in integer rupiah.")]
    spent: Annotated[int, described("Course prices paid from balances, in integer rupiah.")]
    refunded: Annotated[int, described("Prices credited back to balances, in integer rupiah.")]
    lapsed: Annotated[int, described("Unspent balances returned to the state, in integer rupiah.")]


class SchemeSummary(msgspec.Struct, kw_only=True):
    scheme: Annotated[str, described("The scheme (cohort) the figures are for; `all` in the total.")]
    vouchers: Annotated[VoucherFigures, described("Vouchers by what happened to them in the range.")]
    completions: Annotated[int, described("Enrollments completed in the range.")]
    certificates: Annotated[int, described("Certificates issued in the range.")]
    incentives_eligible: Annotated[
        Figure, described("Participants who became eligible for the incentive, with its full amount.")
    ]
    incentives_paid: Annotated[Figure, described("Incentive transfers the channels paid in the range.")]
    money: Annotated[MoneyFigures, described("The participants' ledger in the range.")]


class ReportSummary(msgspec.Struct, kw_only=True):
    """Figures for instants in [`from`, `to`), per scheme, then for all schemes together."""

    from_: Annotated[datetime, described("The range's first instant (included); RFC 3339 in UTC.")] = msgspec.field(
        name="from"
    )
    to: Annotated[datetime, described("The instant the range ends (excluded); RFC 3339 in UTC.")]
    schemes: Annotated[list[SchemeSummary], described("One summary per scheme with activity, by scheme.")]
    total: Annotated[SchemeSummary, described("All schemes together.")]
