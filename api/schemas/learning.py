"""Learning-progress report bodies."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.schemas.common import Instant, RequestBody


class AttendanceReport(RequestBody):
    attended_at: Instant


class AssessmentReport(RequestBody):
    score: Annotated[int, msgspec.Meta(ge=0, le=100)]
    assessed_at: Instant


class CompletionReport(RequestBody):
    completed_at: Instant
