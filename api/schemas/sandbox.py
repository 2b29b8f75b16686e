"""Sandbox simulation bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import RequestBody
from api.schemas.participants import SchemeCode


class TestParticipantCreate(RequestBody):
    scheme: SchemeCode | None = None
    """Default: the programme's default scheme (the current cohort)."""


class TestParticipant(msgspec.Struct, kw_only=True):
    """A test participant of yours: its data is fictitious, so you see it whole."""

    id: str
    programme_number: str
    name: str
    email: str
    scheme: str
    status: str
    balance: int


class TestVoucherCreate(RequestBody):
    course_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    schedule_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    participant_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class ClockAdvance(RequestBody):
    seconds: Annotated[int, msgspec.Meta(ge=1, le=400 * 24 * 3600, examples=[31 * 24 * 3600])]


class ClockState(msgspec.Struct, kw_only=True):
    now: datetime
    offset_seconds: int
    expired_vouchers: int = 0


class ResetReport(msgspec.Struct, kw_only=True):
    courses: int
    vouchers: int
    participants: int
