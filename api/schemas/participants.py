"""Participant bodies: enrolment (with the NIK, never echoed), balance and ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import Email, Instant, Name, RequestBody

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


class ParticipantCreate(RequestBody):
    programme_number: ProgrammeNumber
    nik: Nik
    name: Name
    email: Email
    phone: Phone
    scheme: SchemeCode
    accepted_at: Instant


class LedgerLine(msgspec.Struct, kw_only=True):
    kind: str
    amount: int
    balance_after: int
    voucher_code: str | None
    at: datetime


class Participant(msgspec.Struct, kw_only=True):
    id: str
    programme_number: str
    name: str
    email: str
    phone: str
    scheme: str
    accepted_at: datetime
    status: str
    balance: int
    reviewed_at: datetime | None
    created_at: datetime


class ParticipantDetail(Participant, kw_only=True):
    """A participant with the most recent ledger entries (newest first)."""

    ledger: list[LedgerLine]


class StatusReason(RequestBody):
    reason: Reason
