"""Incentive disbursement bodies: a participant's payout account, batches, their transfers and results, surveys."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import (
    VISIBLE,
    AccountReferenceMasked,
    CreatedAt,
    EnrollmentId,
    ParticipantId,
    ProgrammeNumberText,
    RequestBody,
    described,
    literal_of,
)
from domain.disbursements import AttemptStatus, BatchStatus, ChannelKind

if TYPE_CHECKING:
    ChannelKindName: TypeAlias = str
    BatchStatusName: TypeAlias = str
    AttemptStatusName: TypeAlias = str
else:
    ChannelKindName = literal_of(ChannelKind)
    BatchStatusName = literal_of(BatchStatus)
    AttemptStatusName = literal_of(AttemptStatus)

ChannelCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{2,40}$", examples=["bni", "ovo"])]
ChannelReference = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[\x21-\x7e][\x20-\x7e]*$", examples=["BNI-20261201-77"])
]
FailureReason = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=VISIBLE, examples=["account closed"])]
TRANSFER_ID = described("The transfer's id (`itr_…`): one incentive payment, whatever batch it goes in.")
CHANNEL = described("The payment channel's code: a bank or an e-wallet the programme pays through (`bni`, `ovo`).")


class PayoutAccountSet(RequestBody):
    """The channel a participant chose (a bank or an e-wallet) and their account there: a bank account number, or
    the e-wallet's mobile number."""

    channel: Annotated[ChannelCode, CHANNEL]
    account_reference: Annotated[
        str,
        msgspec.Meta(min_length=4, max_length=40, examples=["081234567890"]),
        described("The bank account number (6 to 20 digits), or the e-wallet's mobile number (`08…`, `62…`)."),
    ]


class PayoutAccount(msgspec.Struct, kw_only=True):
    """Where a participant's incentive is paid; the account reference is masked (last four characters)."""

    participant_id: ParticipantId
    channel: Annotated[str, CHANNEL]
    channel_kind: Annotated[ChannelKindName, described("`bank` or `e_wallet`: what kind of channel it is.")]
    account_reference_masked: AccountReferenceMasked
    updated_at: Annotated[datetime, described("When the account was last set; RFC 3339 in UTC.")]


class DisbursementCreate(RequestBody):
    channel: Annotated[ChannelCode, described("The channel whose payable transfers go into the new batch.")]


class DisbursementBatch(msgspec.Struct, kw_only=True):
    """A batch of incentive transfers through one channel, with its counts and rupiah by result."""

    id: Annotated[str, described("The batch's id (`dsb_…`).")]
    channel: Annotated[str, CHANNEL]
    status: Annotated[
        BatchStatusName, described("`open` while some transfer has no result, `completed` once every one has.")
    ]
    transfer_count: Annotated[int, described("Transfers in the batch.")]
    total_amount: Annotated[int, described("Their sum, in integer rupiah.")]
    pending_count: Annotated[int, described("Transfers without a result yet.")]
    paid_count: Annotated[int, described("Transfers the channel paid.")]
    paid_amount: Annotated[int, described("Sum of the paid transfers, in integer rupiah.")]
    failed_count: Annotated[int, described("Transfers the channel refused (they go into a later batch).")]
    created_at: CreatedAt
    completed_at: Annotated[datetime | None, described("When the last result was recorded; null while `open`.")]


class DisbursementTransfer(msgspec.Struct, kw_only=True):
    """One transfer in a batch (one attempt to pay it) and what the channel answered. Traceable: the transfer is
    payment `sequence` of the incentive the participant became eligible for at `eligible_at` (by `enrollment_id`)."""

    transfer_id: Annotated[str, TRANSFER_ID]
    participant_id: ParticipantId
    programme_number: ProgrammeNumberText
    enrollment_id: Annotated[EnrollmentId, described("The completed enrollment that earned the incentive.")]
    eligible_at: Annotated[datetime, described("When the participant became eligible; RFC 3339 in UTC.")]
    sequence: Annotated[int, described("Which payment of the incentive this is, 1 for the first.")]
    amount: Annotated[int, described("The payment, in integer rupiah.")]
    channel: Annotated[str, CHANNEL]
    account_reference_masked: AccountReferenceMasked
    status: Annotated[
        AttemptStatusName,
        described("`pending` (no result yet), `paid` (the channel paid it) or `failed` (retried in a later batch)."),
    ]
    channel_reference: Annotated[str | None, described("The channel's reference of a paid transfer; else null.")]
    failure_reason: Annotated[str | None, described("Why the channel refused a failed transfer; else null.")]
    result_at: Annotated[datetime | None, described("When the result was recorded; null while `pending`.")]


TransferIdIn = Annotated[str, msgspec.Meta(min_length=1, max_length=40), TRANSFER_ID]


class PaidResult(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="status", tag="paid"):
    """`paid`: the channel paid the transfer; its `reference` is required, a `reason` is not taken."""

    transfer_id: TransferIdIn
    reference: Annotated[ChannelReference, described("The channel's reference of the payment.")]
    reason: Annotated[None, described("Absent (or null): a paid transfer has no reason.")] = None


class FailedResult(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="status", tag="failed"):
    """`failed`: the channel refused the transfer; its `reason` is required, a `reference` is not taken."""

    transfer_id: TransferIdIn
    reason: Annotated[FailureReason, described("Why the channel refused it.")]
    reference: Annotated[None, described("Absent (or null): a failed transfer has no reference.")] = None


TransferResult: TypeAlias = PaidResult | FailedResult
"""What the channel answered for one transfer, told apart by `status` (a tagged union: oneOf in the spec, so the
shape each status needs is stated there and enforced by the same type)."""


MAX_RESULTS = 50
"""Results per request: the largest body stays under the 64 KiB request limit; a big batch takes several calls."""


class DisbursementResults(RequestBody):
    results: Annotated[
        list[TransferResult],
        msgspec.Meta(min_length=1, max_length=MAX_RESULTS),
        described("The channel's answers, one per transfer of the batch; send a big batch in several calls."),
    ]


class SurveyIncentiveCreate(RequestBody):
    survey: Annotated[int, msgspec.Meta(ge=1, le=20, description="Which survey (1 or 2 in scheme 2024).")]


class SurveyIncentive(msgspec.Struct, kw_only=True):
    """A survey incentive recorded for a participant (paid outside this system)."""

    participant_id: ParticipantId
    survey: Annotated[int, described("Which survey it is for (1 or 2 in scheme 2024).")]
    amount: Annotated[int, described("The scheme's survey incentive, in integer rupiah.")]
    recorded_at: Annotated[datetime, described("When it was recorded; RFC 3339 in UTC.")]
