"""Voucher, purchase and redemption bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import RequestBody

LearnerRef = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$", description="Your learner account id.")
]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PurchaseCreate(RequestBody):
    course_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    schedule_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class MaskedParticipant(msgspec.Struct, kw_only=True):
    name_masked: str


class RedemptionWindow(msgspec.Struct, kw_only=True):
    """When the voucher may be redeemed, both instants included: from the sale to `expires_at` (self-paced), or
    from 1 hour before to 1 hour after the schedule starts (scheduled formats; the scheme sets the hours)."""

    opens_at: datetime
    closes_at: datetime


class Voucher(msgspec.Struct, kw_only=True):
    code: str
    status: str
    course_id: str
    schedule_id: str | None
    amount: int
    sold_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    redemption_window: RedemptionWindow
    participant: MaskedParticipant
    allowed_actions: list[str]


class ProgrammeVoucher(Voucher, kw_only=True):
    """A voucher as the programme sees it: whose it is and which partner sells it."""

    participant_id: str
    partner_id: str


class Redeem(RequestBody):
    learner_ref: LearnerRef


class VoucherReason(RequestBody):
    reason: Reason | None = None
