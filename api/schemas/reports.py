"""Report bodies: the programme's summary over a time range, per scheme."""

from __future__ import annotations

from datetime import datetime

import msgspec


class Figure(msgspec.Struct, kw_only=True):
    count: int = 0
    amount: int = 0
    """Integer rupiah."""


class VoucherFigures(msgspec.Struct, kw_only=True):
    """Vouchers by what happened to them in the range (a voucher sold before the range may be redeemed in it)."""

    sold: Figure
    redeemed: Figure
    expired: Figure
    voided: Figure
    cancelled: Figure
    fraudulent: Figure
    clawed_back: Figure


class MoneyFigures(msgspec.Struct, kw_only=True):
    """The participant ledger in the range: granted - spent + refunded - lapsed is the change of all balances."""

    granted: int
    spent: int
    refunded: int
    lapsed: int


class SchemeSummary(msgspec.Struct, kw_only=True):
    scheme: str
    vouchers: VoucherFigures
    completions: int
    certificates: int
    incentives_eligible: Figure
    incentives_paid: Figure
    money: MoneyFigures


class ReportSummary(msgspec.Struct, kw_only=True):
    """Figures for instants in [`from`, `to`), per scheme, then for all schemes together."""

    from_: datetime = msgspec.field(name="from")
    to: datetime
    schemes: list[SchemeSummary]
    total: SchemeSummary
