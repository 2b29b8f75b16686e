"""Incentive disbursement bodies: a participant's payout account, batches, their transfers and results, surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import RequestBody

ChannelCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{2,40}$", examples=["bni", "ovo"])]
ChannelReference = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x21-\x7e][\x20-\x7e]*$", examples=["BNI-20261201-77"])
]
FailureReason = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S", examples=["account closed"])]


class PayoutAccountSet(RequestBody):
    """The channel a participant chose (a bank or an e-wallet) and their account there: a bank account number, or
    the e-wallet's mobile number."""

    channel: ChannelCode
    account_reference: Annotated[str, msgspec.Meta(min_length=4, max_length=40, examples=["081234567890"])]


class PayoutAccount(msgspec.Struct, kw_only=True):
    """Where a participant's incentive is paid; the account reference is masked (last four characters)."""

    participant_id: str
    channel: str
    channel_kind: Literal["bank", "e_wallet"]
    account_reference_masked: str
    updated_at: datetime


class DisbursementCreate(RequestBody):
    channel: ChannelCode


class DisbursementBatch(msgspec.Struct, kw_only=True):
    """A batch of incentive transfers through one channel, with its counts and rupiah by result."""

    id: str
    channel: str
    status: Literal["open", "completed"]
    transfer_count: int
    total_amount: int
    pending_count: int
    paid_count: int
    paid_amount: int
    failed_count: int
    created_at: datetime
    completed_at: datetime | None


class DisbursementTransfer(msgspec.Struct, kw_only=True):
    """One transfer in a batch (one attempt to pay it) and what the channel answered. Traceable: the transfer is
    payment `sequence` of the incentive the participant became eligible for at `eligible_at` (by `enrollment_id`)."""

    transfer_id: str
    participant_id: str
    programme_number: str
    enrollment_id: str
    eligible_at: datetime
    sequence: int
    amount: int
    channel: str
    account_reference_masked: str
    status: Literal["pending", "paid", "failed"]
    channel_reference: str | None
    failure_reason: str | None
    result_at: datetime | None


class TransferResult(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`paid` with the channel's `reference`, or `failed` with a `reason`."""

    transfer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    status: Literal["paid", "failed"]
    reference: ChannelReference | None = None
    reason: FailureReason | None = None


MAX_RESULTS = 50
"""Results per request: the largest body stays under the 64 KiB request limit; a big batch takes several calls."""


class DisbursementResults(RequestBody):
    results: Annotated[list[TransferResult], msgspec.Meta(min_length=1, max_length=MAX_RESULTS)]


class SurveyIncentiveCreate(RequestBody):
    survey: Annotated[int, msgspec.Meta(ge=1, le=20, description="Which survey (1 or 2 in scheme 2024).")]


class SurveyIncentive(msgspec.Struct, kw_only=True):
    """A survey incentive recorded for a participant (paid outside this system)."""

    participant_id: str
    survey: int
    amount: int
    recorded_at: datetime
