"""Course, schedule and curation bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from api.schemas.common import Instant, RequestBody, literal_of
from domain.courses import CourseFormat, CourseStatus

if TYPE_CHECKING:
    Format: TypeAlias = str
    Status: TypeAlias = str
else:
    Format = literal_of(CourseFormat)
    Status = literal_of(CourseStatus)
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Category = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Language = Annotated[str, msgspec.Meta(min_length=2, max_length=35, examples=["id", "en"])]
Hours = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
MAX_RUPIAH = 1_000_000_000  # the dearest price a course may have
Rupiah = Annotated[int, msgspec.Meta(ge=1, le=MAX_RUPIAH, description="Integer rupiah.")]
Competency = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Competencies = Annotated[list[Competency], msgspec.Meta(max_length=50)]
Modules = Annotated[int, msgspec.Meta(ge=1, le=1000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class CourseCreate(RequestBody):
    title: Title
    description: Description
    category: Category
    format: Format
    hours: Hours
    price: Rupiah
    public_price: Rupiah
    competencies: Competencies
    language: Language
    modules: Modules | None = None


class CoursePatch(RequestBody):
    """Only the fields to change. Price, hours or format of an approved course wait for curation."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    format: Format | UnsetType = UNSET
    hours: Hours | UnsetType = UNSET
    price: Rupiah | UnsetType = UNSET
    public_price: Rupiah | UnsetType = UNSET
    competencies: Competencies | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    modules: Modules | UnsetType | None = UNSET


class PendingRevision(msgspec.Struct, kw_only=True):
    format: str
    hours: int
    price: int
    modules: int | None
    submitted_at: datetime


class CurationStep(msgspec.Struct, kw_only=True):
    action: str
    from_status: str
    to_status: str
    reasons: list[str]
    at: datetime


class Course(msgspec.Struct, kw_only=True):
    id: str
    partner_id: str
    status: str
    title: str
    description: str
    category: str
    format: str
    hours: int
    price: int
    public_price: int
    competencies: list[str]
    language: str
    modules: int | None
    pending_revision: PendingRevision | None
    allowed_actions: list[str]
    created_at: datetime
    updated_at: datetime


class CourseDetail(Course, kw_only=True):
    """A course as its partner sees it: with the curation trail and the latest rejection reasons."""

    rejection_reasons: list[str]
    curation_history: list[CurationStep]


class SessionBody(RequestBody):
    sequence: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    starts_at: Instant
    ends_at: Instant


class ScheduleCreate(RequestBody):
    starts_at: Instant
    ends_at: Instant
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    sessions: Annotated[list[SessionBody], msgspec.Meta(min_length=1, max_length=200)]
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None
    meeting_url: Annotated[str, msgspec.Meta(pattern=r"^https://\S+$", max_length=2000)] | None = None


class Schedule(msgspec.Struct, kw_only=True):
    id: str
    course_id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_left: int
    location: str | None
    meeting_url: str | None
    sessions: list[SessionBody]


class Rejection(RequestBody):
    reasons: Annotated[list[Reason], msgspec.Meta(min_length=1, max_length=20)]


class CurationNote(RequestBody):
    reason: Reason | None = None


class CatalogueCourse(msgspec.Struct, kw_only=True):
    """A published course as anyone sees it."""

    id: str
    partner_id: str
    partner_name: str
    title: str
    description: str
    category: str
    format: str
    hours: int
    price: int
    public_price: int
    competencies: list[str]
    language: str
    modules: int | None


class CatalogueCourseDetail(CatalogueCourse, kw_only=True):
    schedules: list[Schedule]
