"""Bodies of the compatibility layer (the incumbent's redeem-code API) and of its integration keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

import msgspec

from api.schemas.common import RequestBody

T = TypeVar("T")

POST_TEST_SEQUENCE = 999  # the incumbent's "post-test" step; assessments go through /v1 here


class IntegrationKeyCreate(RequestBody):
    environment: Literal["sandbox", "production"]


class IntegrationKeyIssued(msgspec.Struct, kw_only=True):
    """A client_code and its sign_key: the only time the sign key is ever shown."""

    client_code: str
    sign_key: str
    partner_id: str
    environment: str
    previous_sign_key_expires_at: datetime | None = msgspec.field(default=None)


class RedeemCodeRequest(RequestBody):
    """What the incumbent's clients send: the code and, optionally, the attendance step (1 = first session)."""

    redeem_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    sequence: Annotated[int, msgspec.Meta(ge=1, le=POST_TEST_SEQUENCE)] | None = None


class ScheduleSummary(msgspec.Struct, kw_only=True):
    id: str
    starts_at: datetime
    ends_at: datetime


class RedeemCodeStatus(msgspec.Struct, kw_only=True):
    """A redeem code as its course's partner may see it."""

    redeem_code: str
    status: str
    usable: bool
    course_id: str
    course_title: str
    schedule: ScheduleSummary | None
    participant_name_masked: str
    expires_at: datetime
    redeemed_at: datetime | None


class RedeemCodeCommitted(RedeemCodeStatus, kw_only=True):
    """The code after a commit: redeemed, with the enrollment it started (the same one on every retry)."""

    enrollment_id: str
    learner_ref: str
    attended_sequences: list[int]


class ErrorData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a refusal carries besides its message: the stable /v1 error detail and any field problems."""

    detail: str | None = None
    errors: list[dict[str, str]] | None = None


class Envelope(msgspec.Struct, Generic[T], kw_only=True):
    """The incumbent's response envelope: `success`, a stable `code` (`ok` or an error code), `message`, `data`."""

    success: bool
    code: str
    message: str
    data: T
