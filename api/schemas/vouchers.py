"""Voucher, purchase and redemption bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import (
    ONE_LINE,
    CourseId,
    OptionalScheduleId,
    ParticipantId,
    ParticipantNameMasked,
    PartnerId,
    RequestBody,
    VoucherCode,
    described,
    literal_of,
)
from domain.vouchers import VoucherAction, VoucherStatus

if TYPE_CHECKING:
    VoucherStatusName: TypeAlias = str
    PartnerVoucherActionName: TypeAlias = str
else:
    VoucherStatusName = literal_of(VoucherStatus)
    PartnerVoucherActionName = literal_of([VoucherAction.REDEEM, VoucherAction.VOID])

LearnerRef = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE, description="Your learner account id.")
]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
VOUCHER_STATUS = described(
    "`sold` (paid, not yet redeemed) → `redeemed` (the learner started) → `completed`; or `expired` (not redeemed "
    "in time, refunded), `cancelled` (voided or cancelled, refunded) or `fraudulent` (flagged by the programme)."
)
EXPIRES_AT = described("When an unredeemed voucher expires (the scheme's days after the sale); RFC 3339 in UTC.")
REDEEMED_AT = described("When it was redeemed; null while it is not. RFC 3339 in UTC.")


class PurchaseCreate(RequestBody):
    course_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64), described("The approved course to buy.")]
    schedule_id: (
        Annotated[
            str,
            msgspec.Meta(min_length=1, max_length=64),
            described("The schedule to buy a seat in: required for scheduled formats, absent for self-paced."),
        ]
        | None
    ) = None


class MaskedParticipant(msgspec.Struct, kw_only=True):
    """What a partner may know of the voucher's holder before and after redemption."""

    name_masked: ParticipantNameMasked


class RedemptionWindow(msgspec.Struct, kw_only=True):
    """When the voucher may be redeemed, both instants included: from the sale to `expires_at` (self-paced), or
    from 1 hour before to 1 hour after the schedule starts (scheduled formats; the scheme sets the hours)."""

    opens_at: Annotated[datetime, described("The first instant it may be redeemed (included); RFC 3339 in UTC.")]
    closes_at: Annotated[datetime, described("The last instant it may be redeemed (included); RFC 3339 in UTC.")]


class Voucher(msgspec.Struct, kw_only=True):
    code: VoucherCode
    status: Annotated[VoucherStatusName, VOUCHER_STATUS]
    course_id: Annotated[CourseId, described("The course the voucher pays for.")]
    schedule_id: OptionalScheduleId
    amount: Annotated[int, described("The price paid from the participant's balance, in integer rupiah.")]
    sold_at: Annotated[datetime, described("When the participant bought the course; RFC 3339 in UTC.")]
    expires_at: Annotated[datetime, EXPIRES_AT]
    redeemed_at: Annotated[datetime | None, REDEEMED_AT]
    redemption_window: Annotated[RedemptionWindow, described("When the voucher may be redeemed.")]
    participant: Annotated[MaskedParticipant, described("Who holds the voucher, masked.")]
    allowed_actions: Annotated[
        list[PartnerVoucherActionName],
        described("What you may do now: a subset of `redeem` (it would succeed now) and `void`, in order."),
    ]


class ProgrammeVoucher(Voucher, kw_only=True):
    """A voucher as the programme sees it: whose it is and which partner sells it."""

    participant_id: Annotated[ParticipantId, described("The participant who bought the voucher.")]
    partner_id: Annotated[PartnerId, described("The partner whose course the voucher pays for.")]


class Redeem(RequestBody):
    learner_ref: LearnerRef


class VoucherReason(RequestBody):
    reason: Annotated[Reason, described("Why (recorded in the audit trail); optional.")] | None = None
