"""Learning-progress report bodies."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.schemas.common import Instant, RequestBody, described


class AttendanceReport(RequestBody):
    attended_at: Annotated[Instant, described("When the participant attended the session; RFC 3339 with an offset.")]


class AssessmentReport(RequestBody):
    score: Annotated[int, msgspec.Meta(ge=0, le=100, description="The final assessment's score, 0 to 100.")]
    assessed_at: Annotated[Instant, described("When the assessment took place; RFC 3339 with an offset.")]


class CompletionReport(RequestBody):
    completed_at: Annotated[
        Instant, described("When the participant completed the course (not in the future); RFC 3339 with an offset.")
    ]
