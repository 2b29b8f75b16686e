"""Sandbox simulation bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import Instant, ParticipantId, ProgrammeNumberText, RequestBody, described
from api.schemas.participants import BALANCE, PARTICIPANT_STATUS, SCHEME, ParticipantStatusName, SchemeCode


class TestParticipantCreate(RequestBody):
    scheme: (
        Annotated[
            SchemeCode, described("A configured scheme (unknown: 422); absent: the default one, the current cohort.")
        ]
        | None
    ) = None


class TestParticipant(msgspec.Struct, kw_only=True):
    """A test participant of yours: its data is fictitious, so you see it whole."""

    id: ParticipantId
    programme_number: ProgrammeNumberText
    name: Annotated[str, described("The test participant's (fictitious) full name.")]
    email: Annotated[str, described("The test participant's (fictitious) e-mail address.")]
    scheme: Annotated[str, SCHEME]
    status: Annotated[ParticipantStatusName, PARTICIPANT_STATUS]
    balance: Annotated[int, BALANCE]


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
    course_id: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64), described("Your approved course to sell a voucher for.")
    ]
    schedule_id: (
        Annotated[
            str,
            msgspec.Meta(min_length=1, max_length=64),
            described("The schedule: required for scheduled formats, absent for self-paced."),
        ]
        | None
    ) = None
    participant_id: (
        Annotated[
            str,
            msgspec.Meta(min_length=1, max_length=64),
            described("Which test participant buys it; absent: a new test participant is created."),
        ]
        | None
    ) = None
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

    exactly_one_of = ("seconds", "to")

    seconds: (
        Annotated[
            int,
            msgspec.Meta(ge=1, le=MAX_ADVANCE_SECONDS, examples=[31 * 24 * 3600]),
            described("Move your test clock forward by this many seconds (at most 400 days)."),
        ]
        | None
    ) = None
    to: (
        Annotated[
            Instant,
            msgspec.Meta(examples=["2026-12-24T09:00:00Z"]),
            described("Move your test clock forward to this instant; RFC 3339 with an offset."),
        ]
        | None
    ) = None


class ClockState(msgspec.Struct, kw_only=True):
    """Your sandbox's test clock: every time your sandbox sees comes from it."""

    now: Annotated[datetime, described("The test clock's current time; RFC 3339 in UTC.")]
    offset_seconds: Annotated[int, described("How far the test clock is ahead of the real clock, in seconds.")]
    expired_vouchers: Annotated[
        int, described("Vouchers that expired because of this move (0 when only reading the clock).")
    ] = 0


class ResetOptions(RequestBody):
    seeded_courses: Annotated[
        bool, msgspec.Meta(description="Also delete the demo courses seeded at start (kept by default).")
    ] = False


class ResetReport(msgspec.Struct, kw_only=True):
    """What was deleted; `kept_courses` counts the seeded demo courses that stayed."""

    courses: Annotated[int, described("Courses deleted.")]
    vouchers: Annotated[int, described("Vouchers deleted.")]
    participants: Annotated[int, described("Test participants deleted.")]
    kept_courses: Annotated[int, described("Seeded demo courses kept (see `seeded_courses`).")] = 0
