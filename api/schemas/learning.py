"""Learning-progress report bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import RequestBody


class AttendanceReport(RequestBody):
    attended_at: datetime


class AssessmentReport(RequestBody):
    score: Annotated[int, msgspec.Meta(ge=0, le=100)]
    assessed_at: datetime


class CompletionReport(RequestBody):
    completed_at: datetime
