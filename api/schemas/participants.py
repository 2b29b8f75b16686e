"""Participant bodies: enrolment (with the NIK, never echoed), balance and ledger."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec

from api.schemas.common import (
    CreatedAt,
    Email,
    Instant,
    Name,
    ParticipantId,
    ProgrammeNumberText,
    RequestBody,
    described,
    literal_of,
)
from domain.ledger import LedgerEntryKind
from domain.participants import ParticipantStatus

if TYPE_CHECKING:
    ParticipantStatusName: TypeAlias = str
    LedgerKindName: TypeAlias = str
else:
    ParticipantStatusName = literal_of(ParticipantStatus)
    LedgerKindName = literal_of(LedgerEntryKind)

Nik = Annotated[
    str, msgspec.Meta(pattern=r"^\d{16}$", description="16-digit national ID; stored only as a keyed hash.")
]
ProgrammeNumber = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$", examples=["PRK-2024-000123"])]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{8,15}$")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
SchemeCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9A-Za-z_-]{1,20}$",
        examples=["2024", "2020"],
        description="A scheme (cohort) the programme configured; an unknown one is 422.",
    ),
]


PARTICIPANT_STATUS = described(
    "`active`; `frozen` (under investigation: no purchase, no redemption); `revoked` (missed the first-purchase "
    "deadline, or fraud; the balance lapsed); `completed`."
)
SCHEME = described("The scheme (cohort) whose rules and amounts apply to the participant, e.g. `2024`.")
BALANCE = described("The training balance left, in integer rupiah: the sum of the ledger.")
NAME = described("The participant's full name (personal data: programme staff only).")
EMAIL = described("The participant's e-mail address (personal data: programme staff only).")
ACCEPTED_AT = described(
    "When the participant was accepted into the programme (the first-purchase deadline counts from it); RFC 3339."
)


class ParticipantCreate(RequestBody):
    programme_number: Annotated[ProgrammeNumber, described("The programme number (`PRK-…`); unique.")]
    nik: Nik
    name: Annotated[Name, NAME]
    email: Annotated[Email, EMAIL]
    phone: Annotated[Phone, described("Mobile number, digits with an optional leading `+`.")]
    scheme: SchemeCode
    accepted_at: Annotated[Instant, ACCEPTED_AT]


class LedgerLine(msgspec.Struct, kw_only=True):
    """One entry of the participant's balance ledger (append-only)."""

    kind: Annotated[
        LedgerKindName,
        described(
            "`grant` (the scheme's balance, once), `purchase` (a voucher's price), `refund` (a voucher's price back) "
            "or `lapse` (what was left, returned to the state)."
        ),
    ]
    amount: Annotated[int, described("Integer rupiah, always positive: `kind` says whether it is a credit or a debit.")]
    balance_after: Annotated[int, described("The balance after this entry, in integer rupiah.")]
    voucher_code: Annotated[str | None, described("The voucher a purchase or refund belongs to; null otherwise.")]
    at: Annotated[datetime, described("When the entry was written; RFC 3339 in UTC.")]


class Participant(msgspec.Struct, kw_only=True):
    id: ParticipantId
    programme_number: ProgrammeNumberText
    name: Annotated[str, NAME]
    email: Annotated[str, EMAIL]
    phone: Annotated[str, described("The participant's mobile number (personal data: programme staff only).")]
    scheme: Annotated[str, SCHEME]
    accepted_at: Annotated[datetime, ACCEPTED_AT]
    status: Annotated[ParticipantStatusName, PARTICIPANT_STATUS]
    balance: Annotated[int, BALANCE]
    reviewed_at: Annotated[
        datetime | None, described("When the participant's post-training review was recorded; null before.")
    ]
    created_at: CreatedAt


class ParticipantDetail(Participant, kw_only=True):
    """A participant with the most recent ledger entries (newest first)."""

    ledger: Annotated[list[LedgerLine], described("The most recent ledger entries, newest first.")]


class StatusReason(RequestBody):
    reason: Annotated[Reason, described("Why (recorded in the audit trail).")]
