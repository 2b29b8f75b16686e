"""Sandbox simulation bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import Instant, RequestBody
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


# Magic sandbox inputs: each arranges the state that makes a redemption (or this sale) answer with that code.
Scenario = Literal[
    "voucher_expired",
    "voucher_cancelled",
    "voucher_fraudulent",
    "participant_frozen",
    "participant_revoked",
    "course_not_on_sale",
    "schedule_full",
]


class TestVoucherCreate(RequestBody):
    course_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    schedule_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    participant_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    scenario: Annotated[
        Scenario | None,
        msgspec.Meta(
            description="Sandbox magic: the refusal to set up. `voucher_expired`, `voucher_cancelled`, "
            "`voucher_fraudulent`, `participant_frozen`, `participant_revoked`, `course_not_on_sale` (the course is "
            "suspended; self-approve reinstates it): the voucher is sold, then put in that state, so redeeming it "
            "answers 409 with that code. `schedule_full`: this sale itself answers 409 `schedule_full` "
            "(nothing changes)."
        ),
    ] = None


MAX_ADVANCE_SECONDS = 400 * 24 * 3600


class ClockAdvance(RequestBody):
    """Exactly one of `seconds` (move forward by) and `to` (move forward to this instant)."""

    seconds: Annotated[int, msgspec.Meta(ge=1, le=MAX_ADVANCE_SECONDS, examples=[31 * 24 * 3600])] | None = None
    to: Annotated[Instant, msgspec.Meta(examples=["2026-12-24T09:00:00Z"])] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.seconds is None) == (self.to is None):
            raise ValueError("give exactly one of `seconds` and `to`")


class ClockState(msgspec.Struct, kw_only=True):
    now: datetime
    offset_seconds: int
    expired_vouchers: int = 0


class ResetOptions(RequestBody):
    seeded_courses: Annotated[
        bool, msgspec.Meta(description="Also delete the demo courses seeded at start (kept by default).")
    ] = False


class ResetReport(msgspec.Struct, kw_only=True):
    """What was deleted; `kept_courses` counts the seeded demo courses that stayed."""

    courses: int
    vouchers: int
    participants: int
    kept_courses: int = 0
