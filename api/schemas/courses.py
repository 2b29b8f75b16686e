"""Course, schedule and curation bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from api.schemas.common import (
    VISIBLE,
    CourseId,
    CreatedAt,
    Instant,
    PartnerId,
    RequestBody,
    ScheduleId,
    UpdatedAt,
    described,
    literal_of,
)
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

# What each course field means, said once for the request bodies and the responses.
TITLE = described("The course's title, as the catalogue shows it.")
DESCRIPTION = described("What the course teaches and how, as the catalogue shows it (plain text).")
CATEGORY = described("The catalogue category the course is listed under (free text, e.g. `Digital Marketing`).")
FORMAT = described(
    "How the course is delivered: `self_paced` (on your LMS, no schedule), `webinar` (live online sessions), "
    "`offline` (in person) or `blended` (sessions and self-paced parts). Scheduled formats are sold per schedule."
)
HOURS = described("Total learning hours (at least 15; the scheme's limits per day apply to schedules).")
PRICE = described(
    "Price in integer rupiah (no decimals) that the participant's training balance pays; at most the scheme's "
    "balance and at most `public_price`."
)
PUBLIC_PRICE = described("Price in integer rupiah you charge outside the programme; at least `price`.")
COMPETENCIES = described("The competencies a participant gains, one short phrase each, in your order.")
LANGUAGE = described("Language of instruction as a BCP 47 tag (`id`, `en`).")
MODULES = described("Number of modules (units) the course has; null when not given.")
COURSE_STATUS = described(
    "Where the course is in curation: `draft` (yours to edit) → `submitted` → `approved` (in the catalogue, on sale) "
    "or `rejected` (edit and resubmit); `suspended` by the programme; `archived` by you (final)."
)
SUBMITTED_AT = described("When the revision was submitted for curation; RFC 3339 in UTC.")
STARTS_AT = described("When it starts: RFC 3339 with an offset (answers are in UTC).")
ENDS_AT = described("When it ends, after `starts_at`: RFC 3339 with an offset (answers are in UTC).")


class CourseCreate(RequestBody):
    title: Annotated[Title, TITLE]
    description: Annotated[Description, DESCRIPTION]
    category: Annotated[Category, CATEGORY]
    format: Annotated[Format, FORMAT]
    hours: Annotated[Hours, HOURS]
    price: Annotated[Rupiah, PRICE]
    public_price: Annotated[Rupiah, PUBLIC_PRICE]
    competencies: Annotated[Competencies, COMPETENCIES]
    language: Annotated[Language, LANGUAGE]
    modules: Annotated[Modules, MODULES] | None = None


class CoursePatch(RequestBody):
    """Only the fields to change. Price, hours or format of an approved course wait for curation."""

    title: Annotated[Title, TITLE] | UnsetType = UNSET
    description: Annotated[Description, DESCRIPTION] | UnsetType = UNSET
    category: Annotated[Category, CATEGORY] | UnsetType = UNSET
    format: Annotated[Format, FORMAT] | UnsetType = UNSET
    hours: Annotated[Hours, HOURS] | UnsetType = UNSET
    price: Annotated[Rupiah, PRICE] | UnsetType = UNSET
    public_price: Annotated[Rupiah, PUBLIC_PRICE] | UnsetType = UNSET
    competencies: Annotated[Competencies, COMPETENCIES] | UnsetType = UNSET
    language: Annotated[Language, LANGUAGE] | UnsetType = UNSET
    modules: Annotated[Modules, described("Number of modules (units); null removes it.")] | UnsetType | None = UNSET


class PendingRevision(msgspec.Struct, kw_only=True):
    """New terms of an approved course waiting for curation; the approved terms stay on sale until then."""

    format: Annotated[Format, FORMAT]
    hours: Annotated[int, HOURS]
    price: Annotated[int, PRICE]
    modules: Annotated[int | None, MODULES]
    submitted_at: Annotated[datetime, SUBMITTED_AT]


class CurationStep(msgspec.Struct, kw_only=True):
    """One curation decision or request on the course, oldest first."""

    action: Annotated[
        str,
        described(
            "The step: `submit`, `approve`, `reject`, `suspend`, `reinstate`, `archive`, or `approve_revision` / "
            "`reject_revision` for the changed terms of an approved course."
        ),
    ]
    from_status: Annotated[Status, described("The course's status before the step.")]
    to_status: Annotated[Status, described("The course's status after the step.")]
    reasons: Annotated[list[str], described("The curator's reasons (a rejection has at least one); may be empty.")]
    at: Annotated[datetime, described("When the step happened; RFC 3339 in UTC.")]


class Course(msgspec.Struct, kw_only=True):
    id: CourseId
    partner_id: Annotated[PartnerId, described("The partner that owns the course.")]
    status: Annotated[Status, COURSE_STATUS]
    title: Annotated[str, TITLE]
    description: Annotated[str, DESCRIPTION]
    category: Annotated[str, CATEGORY]
    format: Annotated[Format, FORMAT]
    hours: Annotated[int, HOURS]
    price: Annotated[int, PRICE]
    public_price: Annotated[int, PUBLIC_PRICE]
    competencies: Annotated[list[str], COMPETENCIES]
    language: Annotated[str, LANGUAGE]
    modules: Annotated[int | None, MODULES]
    pending_revision: Annotated[
        PendingRevision | None,
        described("Changed price, hours, format or modules of an approved course awaiting curation; else null."),
    ]
    allowed_actions: Annotated[
        list[str],
        described(
            "What you may do with the course now, from `edit`, `submit`, `archive`, `add_schedule`; "
            "computed from its status and format."
        ),
    ]
    created_at: CreatedAt
    updated_at: UpdatedAt


class CourseDetail(Course, kw_only=True):
    """A course as its partner sees it: with the curation trail and the latest rejection reasons."""

    rejection_reasons: Annotated[
        list[str], described("The reasons of the latest rejection, if the course is `rejected`; else empty.")
    ]
    curation_history: Annotated[list[CurationStep], described("Every curation step of the course, oldest first.")]


LOCATION = described("Where an offline or blended session takes place (address); null when online only.")
MEETING_URL = described("The https link of the live sessions (webinar, blended); null when in person only.")


class SessionBody(RequestBody):
    """One session of a schedule; a participant's attendance is reported per session `sequence`."""

    sequence: Annotated[int, msgspec.Meta(ge=1, le=1000, description="The session's number, 1 for the first.")]
    starts_at: Annotated[Instant, STARTS_AT]
    ends_at: Annotated[Instant, ENDS_AT]


class ScheduleCreate(RequestBody):
    starts_at: Annotated[Instant, described("When the schedule (its first session) starts; RFC 3339 with an offset.")]
    ends_at: Annotated[Instant, described("When the schedule (its last session) ends; RFC 3339 with an offset.")]
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100_000, description="Seats (a webinar holds at most 150).")]
    sessions: Annotated[
        list[SessionBody], msgspec.Meta(min_length=1, max_length=200, description="The sessions, numbered from 1.")
    ]
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=500), LOCATION] | None = None
    meeting_url: Annotated[str, msgspec.Meta(pattern=rf"^https://{VISIBLE}+$", max_length=2000), MEETING_URL] | None = (
        None
    )


class Schedule(msgspec.Struct, kw_only=True):
    """A run of a scheduled course: its dates, seats and sessions; vouchers of scheduled formats are sold per
    schedule."""

    id: ScheduleId
    course_id: CourseId
    starts_at: Annotated[datetime, described("When the first session starts; RFC 3339 in UTC.")]
    ends_at: Annotated[datetime, described("When the last session ends; RFC 3339 in UTC.")]
    capacity: Annotated[int, described("Seats the schedule has.")]
    seats_left: Annotated[int, described("Seats still for sale: `capacity` minus the seats its vouchers hold.")]
    location: Annotated[str | None, LOCATION]
    meeting_url: Annotated[str | None, MEETING_URL]
    sessions: Annotated[list[SessionBody], described("The sessions in `sequence` order.")]


class Rejection(RequestBody):
    reasons: Annotated[
        list[Reason],
        msgspec.Meta(min_length=1, max_length=20, description="Why the course is rejected; the partner sees these."),
    ]


class CurationNote(RequestBody):
    reason: Annotated[Reason, described("Why (recorded in the audit trail); optional.")] | None = None


class CatalogueCourse(msgspec.Struct, kw_only=True):
    """A published course as anyone sees it."""

    id: CourseId
    partner_id: Annotated[PartnerId, described("The partner that offers the course.")]
    partner_name: Annotated[str, described("The name of the partner that offers the course.")]
    title: Annotated[str, TITLE]
    description: Annotated[str, DESCRIPTION]
    category: Annotated[str, CATEGORY]
    format: Annotated[Format, FORMAT]
    hours: Annotated[int, HOURS]
    price: Annotated[int, PRICE]
    public_price: Annotated[int, PUBLIC_PRICE]
    competencies: Annotated[list[str], COMPETENCIES]
    language: Annotated[str, LANGUAGE]
    modules: Annotated[int | None, MODULES]


class CatalogueCourseDetail(CatalogueCourse, kw_only=True):
    schedules: Annotated[list[Schedule], described("Schedules on sale (not started, seats left), soonest first.")]
