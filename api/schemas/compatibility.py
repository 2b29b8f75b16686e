"""Bodies of the compatibility layer (the incumbent's redeem-code API) and of its integration keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

import msgspec

from api.schemas.common import (
    CourseId,
    EnrollmentId,
    ParticipantNameMasked,
    PartnerId,
    RequestBody,
    ScheduleId,
    described,
)
from api.schemas.partners import ENVIRONMENT, EnvironmentName
from api.schemas.vouchers import EXPIRES_AT, REDEEMED_AT, VOUCHER_STATUS, VoucherStatusName

T = TypeVar("T")

POST_TEST_SEQUENCE = 999  # the incumbent's "post-test" step; assessments go through /v1 here


class IntegrationKeyCreate(RequestBody):
    environment: Annotated[EnvironmentName, described("The environment the key is for: `sandbox` or `production`.")]


class IntegrationKeyIssued(msgspec.Struct, kw_only=True):
    """A client_code and its sign_key: the only time the sign key is ever shown."""

    client_code: Annotated[str, described("Your `client_code` header value; it stays the same across rotations.")]
    sign_key: Annotated[str, described("The HMAC-SHA1 key to sign requests with: shown only now. Store it.")]
    partner_id: Annotated[PartnerId, described("The partner the key acts for.")]
    environment: Annotated[EnvironmentName, ENVIRONMENT]
    previous_sign_key_expires_at: Annotated[
        datetime | None, described("After a rotation, until when the previous key still works; null for a first key.")
    ] = msgspec.field(default=None)


class RedeemCodeRequest(RequestBody):
    """What the incumbent's clients send: the code and, optionally, the attendance step (1 = first session)."""

    redeem_code: Annotated[
        str,
        msgspec.Meta(min_length=1, max_length=64),
        described("The voucher code, read in any case, with or without hyphens."),
    ]
    sequence: (
        Annotated[
            int,
            msgspec.Meta(ge=1, le=POST_TEST_SEQUENCE),
            described("Commit only: also record session (or module) n as attended; 999 (post-test) is refused."),
        ]
        | None
    ) = None


class ScheduleSummary(msgspec.Struct, kw_only=True):
    id: ScheduleId
    starts_at: Annotated[datetime, described("When the schedule starts; RFC 3339 in UTC.")]
    ends_at: Annotated[datetime, described("When the schedule ends; RFC 3339 in UTC.")]


class RedeemCodeStatus(msgspec.Struct, kw_only=True):
    """A redeem code as its course's partner may see it."""

    redeem_code: Annotated[str, described("The code in its display form.")]
    status: Annotated[VoucherStatusName, VOUCHER_STATUS]
    usable: Annotated[bool, described("True when a commit would redeem it now (state, window, course on sale).")]
    course_id: CourseId
    course_title: Annotated[str, described("The course's title.")]
    schedule: Annotated[ScheduleSummary | None, described("The schedule of a scheduled format; null if self-paced.")]
    participant_name_masked: ParticipantNameMasked
    expires_at: Annotated[datetime, EXPIRES_AT]
    redeemed_at: Annotated[datetime | None, REDEEMED_AT]


class RedeemCodeCommitted(RedeemCodeStatus, kw_only=True):
    """The code after a commit: redeemed, with the enrollment it started (the same one on every retry)."""

    enrollment_id: EnrollmentId
    learner_ref: Annotated[str, described("`redeem_code:<code>`: the incumbent's API names no learner account.")]
    attended_sequences: Annotated[list[int], described("The sessions (or modules) recorded as attended so far.")]


class ErrorData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a refusal carries besides its message: the stable /v1 error detail and any field problems."""

    detail: Annotated[str, described("The /v1 problem's `detail`: what exactly was wrong.")] | None = None
    errors: (
        Annotated[list[dict[str, str]], described("Field problems, each `{field, message}`, as /v1 gives them.")] | None
    ) = None


class Envelope(msgspec.Struct, Generic[T], kw_only=True):
    """The incumbent's response envelope: `success`, a stable `code` (`ok` or an error code), `message`, `data`."""

    success: Annotated[bool, described("True when the request did what it asked.")]
    code: Annotated[str, described("`ok`, or the stable error code (the /v1 problem's `code`).")]
    message: Annotated[str, described("A sentence for people (English).")]
    data: Annotated[T, described("The answer's content: the code's state, or the error's details.")]
