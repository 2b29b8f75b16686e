"""Courses: what a partner may publish, how curation moves a course, and which edits need curating again.

Every rule of PROGRAMME.md "Courses" lives here; the numbers come from a `Scheme`. Functions that judge
content collect every broken rule into one `CourseRuleViolated` with a `FieldProblem` per broken rule, so a
partner fixes a form in one round trip instead of one error at a time.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Final, TypeVar

from domain.errors import (
    CourseNotOnSale,
    CourseRuleViolated,
    FieldProblem,
    InvalidRequest,
    InvalidStateTransition,
    ValidationFailed,
)
from domain.partners import PartnerStatus
from domain.schemes import Scheme


class CourseFormat(StrEnum):
    SELF_PACED = "self_paced"
    WEBINAR = "webinar"
    OFFLINE = "offline"
    BLENDED = "blended"


SCHEDULED_FORMATS: Final = frozenset({CourseFormat.WEBINAR, CourseFormat.OFFLINE, CourseFormat.BLENDED})
"""Formats delivered in sessions at set times, so they are sold per schedule."""

_FORMATS_DELIVERED_ONLY_IN_SESSIONS: Final = frozenset({CourseFormat.WEBINAR, CourseFormat.OFFLINE})
"""Formats whose sessions are the whole course; blended also has self-paced parts outside its sessions."""


class CourseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class CourseAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    ARCHIVE = "archive"


CURATION_TRANSITIONS: Final[Mapping[CourseAction, Mapping[CourseStatus, CourseStatus]]] = {
    # A rejected course is resubmitted after the partner edits it; the domain cannot see whether it was edited,
    # and a curator rejecting an unchanged resubmission costs nothing, so resubmission is not refused here.
    CourseAction.SUBMIT: {
        CourseStatus.DRAFT: CourseStatus.SUBMITTED,
        CourseStatus.REJECTED: CourseStatus.SUBMITTED,
    },
    CourseAction.APPROVE: {CourseStatus.SUBMITTED: CourseStatus.APPROVED},
    CourseAction.REJECT: {CourseStatus.SUBMITTED: CourseStatus.REJECTED},
    CourseAction.SUSPEND: {CourseStatus.APPROVED: CourseStatus.SUSPENDED},
    CourseAction.REINSTATE: {CourseStatus.SUSPENDED: CourseStatus.APPROVED},
    # Archiving retires a course from any state; vouchers already sold still run to completion.
    CourseAction.ARCHIVE: {status: CourseStatus.ARCHIVED for status in CourseStatus if status != CourseStatus.ARCHIVED},
}
"""The curation state machine as data: action → {allowed current status → resulting status}."""


def transition(current: CourseStatus, action: str, *, reasons: Sequence[str] = ()) -> CourseStatus:
    """The status a course in `current` moves to by `action`, or InvalidStateTransition if it may not.

    `reject` also needs at least one non-blank reason (ValidationFailed on `reasons`); the state is checked
    first, so rejecting an approved course reports the transition, not the reasons.
    """
    target = _apply_action(CURATION_TRANSITIONS, "course", current, action)
    if action == CourseAction.REJECT:
        rejection_reasons(reasons)
    return target


def allowed_actions(status: CourseStatus) -> list[str]:
    """The curation actions a course in `status` accepts, in a stable order (for `allowed_actions` in bodies)."""
    return [str(action) for action, moves in CURATION_TRANSITIONS.items() if status in moves]


PARTNER_CURATION_ACTIONS: Final = (CourseAction.SUBMIT, CourseAction.ARCHIVE)
"""The curation actions the owning partner takes itself; the programme's curators take the others."""


def partner_actions(status: CourseStatus, course_format: CourseFormat) -> list[str]:
    """What the owning partner may do with a course now: edit it, submit or archive it, add a schedule."""
    actions = [action for action in allowed_actions(status) if action in PARTNER_CURATION_ACTIONS]
    if editable(status):
        actions.insert(0, "edit")
    if course_format in SCHEDULED_FORMATS and status != CourseStatus.ARCHIVED:
        actions.append("add_schedule")
    return actions


def curation_reasons(action: str, reasons: Sequence[str]) -> tuple[str, ...]:
    """The reasons to store with a curation step, trimmed and without blanks: a rejection needs at least one
    (ValidationFailed otherwise); any other step keeps the reason it was given, if any (a suspension's)."""
    if action in ("reject", "reject_revision"):
        return rejection_reasons(reasons)
    return tuple(reason.strip() for reason in reasons if reason.strip())


def rejection_reasons(reasons: Sequence[str]) -> tuple[str, ...]:
    """The reasons to store for a rejection, trimmed and without blanks; at least one is required."""
    cleaned = tuple(reason.strip() for reason in reasons if reason.strip())
    if not cleaned:
        raise ValidationFailed(
            "A rejection needs at least one reason.",
            problems=(FieldProblem("reasons", "Give at least one non-blank reason."),),
        )
    return cleaned


# --- sales -------------------------------------------------------------------------------------------------------


def on_sale(status: CourseStatus) -> bool:
    """Whether a course in `status` is listed in the catalogue and may be bought."""
    return status == CourseStatus.APPROVED


def for_sale(status: CourseStatus, partner_status: PartnerStatus) -> bool:
    """Whether a course may be bought: it is on sale, and its partner is active (a suspended partner sells nothing)."""
    return on_sale(status) and partner_status == PartnerStatus.ACTIVE


def require_on_sale(status: CourseStatus) -> None:
    """Return if the course may be bought; CourseNotOnSale otherwise."""
    if not on_sale(status):
        raise CourseNotOnSale(f"The course is {status}; only approved courses are on sale.")


def accepts_redemptions(status: CourseStatus) -> bool:
    """Whether vouchers already sold for a course in `status` may be redeemed.

    Suspension stops redemptions; archiving does not, because "existing vouchers still complete".
    """
    return status in {CourseStatus.APPROVED, CourseStatus.ARCHIVED}


# --- content -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseContent:
    """What a partner writes about a course: everything curation judges, without identity or status."""

    title: str
    description: str
    category: str
    format: CourseFormat
    hours: int
    price: int
    public_price: int
    competencies: tuple[str, ...]
    language: str
    modules: int | None = None
    """Self-paced only: how many modules. Scheduled formats count their schedule's sessions instead."""


def check_course(content: CourseContent, scheme: Scheme) -> None:
    """Return if `content` obeys every course rule of `scheme`; otherwise one CourseRuleViolated listing them all."""
    problems: list[FieldProblem] = []
    for field in ("title", "description", "category", "language"):
        if not str(getattr(content, field)).strip():
            problems.append(FieldProblem(field, "Must not be blank."))
    if content.hours < scheme.min_course_hours:
        problems.append(FieldProblem("hours", f"A course must have at least {scheme.min_course_hours} hours."))
    if content.price <= 0:
        problems.append(FieldProblem("price", "Must be more than 0."))
    elif content.price > scheme.training_balance:
        problems.append(
            FieldProblem("price", f"Must not exceed the training balance of Rp {scheme.training_balance:,}.")
        )
    if content.public_price <= 0:
        problems.append(FieldProblem("public_price", "Must be more than 0."))
    if content.price > content.public_price:
        problems.append(FieldProblem("price", "Must not exceed the public price charged outside the programme."))
    if not content.competencies:
        problems.append(FieldProblem("competencies", "List at least one competency."))
    problems.extend(
        FieldProblem(f"competencies[{index}]", "Must not be blank.")
        for index, competency in enumerate(content.competencies)
        if not competency.strip()
    )
    if content.format == CourseFormat.SELF_PACED:
        if content.modules is None or content.modules < 1:
            problems.append(FieldProblem("modules", "A self-paced course needs at least 1 module."))
    elif content.modules is not None:
        # Refused rather than ignored: a value the API silently drops would mislead the partner who sent it.
        problems.append(
            FieldProblem("modules", f"Leave out for {content.format} courses: their schedule's sessions are counted.")
        )
    _raise_if_any("The course breaks the programme's rules", problems)


def check_submittable(content: CourseContent, schedule_count: int) -> None:
    """Return if the course may go to curation; a scheduled format needs at least one schedule first.

    The content itself is judged by `check_course` when it is written, not here.
    """
    if content.format in SCHEDULED_FORMATS and schedule_count < 1:
        raise CourseRuleViolated(
            f"A course in the {content.format} format needs at least one schedule before it is submitted.",
            problems=(FieldProblem("schedules", "Add at least one schedule."),),
        )


# --- schedules ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """One sitting of a scheduled course; attendance is reported per `sequence` (1..n)."""

    sequence: int
    starts_at: datetime
    ends_at: datetime

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


@dataclass(frozen=True, slots=True)
class ScheduleDraft:
    """A schedule as a partner proposes it, before it has an id or sold seats."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    location: str | None
    meeting_url: str | None
    sessions: tuple[Session, ...]


def check_schedule(
    course_format: CourseFormat, hours: int, schedule: ScheduleDraft, scheme: Scheme, now: datetime
) -> None:
    """Return if `schedule` may be offered for a course of this format and hours; else one CourseRuleViolated.

    Days are UTC calendar days. Webinar and offline sessions must add up to at least the course's hours, since
    the sessions are the whole course; blended courses are exempt because part of them is self-paced.
    """
    if course_format not in SCHEDULED_FORMATS:
        raise CourseRuleViolated(f"A course in the {course_format} format has no schedules.")
    naive = _naive_instants(schedule)
    if naive:
        # Comparing naive with aware instants would crash, and guessing a zone would shift every session.
        _raise_if_any("The schedule breaks the programme's rules", naive)

    problems: list[FieldProblem] = []
    if schedule.ends_at <= schedule.starts_at:
        problems.append(FieldProblem("ends_at", "Must be after starts_at."))
    if schedule.starts_at <= now:
        problems.append(FieldProblem("starts_at", "Must be in the future."))
    problems.extend(_capacity_problems(course_format, schedule.capacity, scheme))
    problems.extend(_venue_problems(course_format, schedule))
    problems.extend(_session_problems(course_format, hours, schedule, scheme))
    _raise_if_any("The schedule breaks the programme's rules", problems)


def _naive_instants(schedule: ScheduleDraft) -> list[FieldProblem]:
    instants: list[tuple[str, datetime]] = [("starts_at", schedule.starts_at), ("ends_at", schedule.ends_at)]
    for index, session in enumerate(schedule.sessions):
        instants += [
            (f"sessions[{index}].starts_at", session.starts_at),
            (f"sessions[{index}].ends_at", session.ends_at),
        ]
    return [
        FieldProblem(field, "Must include a UTC offset.") for field, instant in instants if instant.utcoffset() is None
    ]


def _capacity_problems(course_format: CourseFormat, capacity: int, scheme: Scheme) -> list[FieldProblem]:
    if capacity < 1:
        return [FieldProblem("capacity", "Must be at least 1.")]
    if course_format == CourseFormat.WEBINAR and capacity > scheme.webinar_capacity:
        return [FieldProblem("capacity", f"A webinar holds at most {scheme.webinar_capacity} participants.")]
    return []


def _venue_problems(course_format: CourseFormat, schedule: ScheduleDraft) -> list[FieldProblem]:
    has_location = bool(schedule.location and schedule.location.strip())
    has_meeting_url = bool(schedule.meeting_url and schedule.meeting_url.strip())
    if course_format == CourseFormat.OFFLINE and not has_location:
        return [FieldProblem("location", "An offline course needs a location.")]
    if course_format == CourseFormat.WEBINAR and not has_meeting_url:
        return [FieldProblem("meeting_url", "A webinar needs a meeting_url.")]
    if course_format == CourseFormat.BLENDED and not (has_location or has_meeting_url):
        return [FieldProblem("location", "A blended course needs a location, a meeting_url, or both.")]
    return []


def _session_problems(
    course_format: CourseFormat, hours: int, schedule: ScheduleDraft, scheme: Scheme
) -> list[FieldProblem]:
    sessions = schedule.sessions
    if not sessions:
        return [FieldProblem("sessions", "List at least one session.")]
    problems: list[FieldProblem] = []
    sequences = sorted(session.sequence for session in sessions)
    sequences_valid = sequences == list(range(1, len(sessions) + 1))
    if not sequences_valid:
        problems.append(FieldProblem("sessions", f"Sequences must be exactly 1..{len(sessions)}, each once."))
    well_formed: list[Session] = []
    for index, session in enumerate(sessions):
        if session.ends_at <= session.starts_at:
            problems.append(FieldProblem(f"sessions[{index}].ends_at", "Must be after the session's starts_at."))
            continue
        well_formed.append(session)
        if session.starts_at < schedule.starts_at or session.ends_at > schedule.ends_at:
            problems.append(FieldProblem(f"sessions[{index}]", "Must lie within the schedule's starts_at and ends_at."))
    if sequences_valid:
        problems.extend(_ordering_problems(sessions))
    problems.extend(_daily_hours_problems(course_format, well_formed, scheme))
    if course_format in _FORMATS_DELIVERED_ONLY_IN_SESSIONS:
        total = sum((session.duration for session in well_formed), timedelta())
        if total < timedelta(hours=hours):
            problems.append(
                FieldProblem(
                    "sessions",
                    f"Sessions add up to {_describe(total)}; they must cover the course's {hours} hours.",
                )
            )
    return problems


def _ordering_problems(sessions: Iterable[Session]) -> list[FieldProblem]:
    """Sessions taken in sequence order must follow one another in time without overlapping."""
    problems: list[FieldProblem] = []
    by_sequence = sorted(sessions, key=lambda session: session.sequence)
    for earlier, later in pairwise(by_sequence):
        if later.starts_at < earlier.ends_at:
            problems.append(
                FieldProblem(
                    "sessions",
                    f"Session {later.sequence} must start after session {earlier.sequence} ends.",
                )
            )
    return problems


def _daily_hours_problems(
    course_format: CourseFormat, sessions: Iterable[Session], scheme: Scheme
) -> list[FieldProblem]:
    cap = timedelta(hours=scheme.max_daily_hours(course_format))
    return [
        FieldProblem(
            "sessions",
            f"Sessions on {day.isoformat()} (UTC) add up to {_describe(total)}; "
            f"the {course_format} format allows at most {_describe(cap)} a day.",
        )
        for day, total in sorted(session_time_by_day(sessions).items())
        if total > cap
    ]


def session_time_by_day(sessions: Iterable[Session]) -> dict[date, timedelta]:
    """How much session time falls on each UTC calendar day; a session over midnight counts on both days."""
    totals: defaultdict[date, timedelta] = defaultdict(timedelta)
    for session in sessions:
        start = session.starts_at.astimezone(UTC)
        end = session.ends_at.astimezone(UTC)
        while start < end:
            next_midnight = datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=UTC)
            piece_end = min(end, next_midnight)
            totals[start.date()] += piece_end - start
            start = piece_end
    return dict(totals)


# --- editing and revisions ---------------------------------------------------------------------------------------

CURATED_FIELDS: Final = frozenset({"price", "hours", "format"})
"""Fields whose change on an approved course must be curated again before buyers see it."""

_EDITABLE_STATUSES: Final = frozenset(
    {CourseStatus.DRAFT, CourseStatus.REJECTED, CourseStatus.APPROVED, CourseStatus.SUSPENDED}
)
"""A submitted course is frozen while a curator reads it; an archived one is retired for good."""

_CURATION_HOLDS_EDITS: Final = frozenset({CourseStatus.APPROVED, CourseStatus.SUSPENDED})


def editable(status: CourseStatus) -> bool:
    """Whether a course in `status` accepts edits at all."""
    return status in _EDITABLE_STATUSES


def require_editable(status: CourseStatus) -> None:
    """Return if a course in `status` may be edited; InvalidStateTransition otherwise."""
    if status == CourseStatus.SUBMITTED:
        raise InvalidStateTransition("A submitted course cannot be edited until curation approves or rejects it.")
    if not editable(status):
        raise InvalidStateTransition(f"The course is {status} and cannot be edited.")


def changed_fields(before: CourseContent, after: CourseContent) -> frozenset[str]:
    """The names of the content fields whose values differ between `before` and `after`."""
    return frozenset(
        field.name
        for field in dataclasses.fields(CourseContent)
        if getattr(before, field.name) != getattr(after, field.name)
    )


def needs_recuration(status: CourseStatus, changed: Iterable[str]) -> bool:
    """Whether this edit must wait for curation: a curated field changed on an approved or suspended course.

    Raises InvalidStateTransition for a status that accepts no edits, so no caller can skip that check.
    """
    require_editable(status)
    return status in _CURATION_HOLDS_EDITS and not CURATED_FIELDS.isdisjoint(changed)


@dataclass(frozen=True, slots=True)
class CuratedTerms:
    """The curated part of a course; `modules` travels with `format` because its meaning depends on it."""

    format: CourseFormat
    hours: int
    price: int
    modules: int | None

    @classmethod
    def of(cls, content: CourseContent) -> CuratedTerms:
        return cls(format=content.format, hours=content.hours, price=content.price, modules=content.modules)

    def applied_to(self, content: CourseContent) -> CourseContent:
        """`content` with these terms in place of its own (how an approved revision takes effect)."""
        return dataclasses.replace(
            content, format=self.format, hours=self.hours, price=self.price, modules=self.modules
        )


@dataclass(frozen=True, slots=True)
class EditPlan:
    """What an edit does: the content on sale from now on, and the terms awaiting curation, if any."""

    live: CourseContent
    proposed_terms: CuratedTerms | None


def plan_edit(status: CourseStatus, current: CourseContent, edited: CourseContent, scheme: Scheme) -> EditPlan:
    """Split an edit into what applies at once and what waits for curation, after checking both obey the rules.

    Sales continue on the approved terms until the proposal is approved, so the content left on sale (new
    title, old price, ...) must obey the rules too: lowering the public price below a price still on sale fails.
    """
    require_editable(status)  # the state first: an archived course refuses any edit, valid or not
    check_course(edited, scheme)
    if not needs_recuration(status, changed_fields(current, edited)):
        return EditPlan(live=edited, proposed_terms=None)
    kept_terms = CuratedTerms.of(current)
    if current.format == edited.format:
        # Without a format change, modules is an ordinary field and applies at once.
        kept_terms = dataclasses.replace(kept_terms, modules=edited.modules)
    live = kept_terms.applied_to(edited)
    try:
        check_course(live, scheme)
    except CourseRuleViolated as violation:
        raise CourseRuleViolated(
            "Until the new price, hours or format are approved, the course stays on sale on its current terms, "
            "and with this edit those would break the rules.",
            problems=violation.problems,
        ) from None
    return EditPlan(live=live, proposed_terms=CuratedTerms.of(edited))


class RevisionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


REVISION_TRANSITIONS: Final[Mapping[CourseAction, Mapping[RevisionStatus, RevisionStatus]]] = {
    CourseAction.APPROVE: {RevisionStatus.PENDING: RevisionStatus.APPROVED},
    CourseAction.REJECT: {RevisionStatus.PENDING: RevisionStatus.REJECTED},
}
"""A pending revision of an approved course is approved (its terms go live) or rejected (they are dropped)."""


def revision_transition(current: RevisionStatus, action: str, *, reasons: Sequence[str] = ()) -> RevisionStatus:
    """The status a revision in `current` moves to by `action`, or InvalidStateTransition if it may not."""
    target = _apply_action(REVISION_TRANSITIONS, "revision", current, action)
    if action == CourseAction.REJECT:
        rejection_reasons(reasons)
    return target


# --- shared ------------------------------------------------------------------------------------------------------


_State = TypeVar("_State", CourseStatus, RevisionStatus)


def _apply_action(
    table: Mapping[CourseAction, Mapping[_State, _State]], noun: str, current: _State, action: str
) -> _State:
    try:
        moves = table[CourseAction(action)]
    except (ValueError, KeyError):
        raise InvalidRequest(f"Unknown {noun} action {action!r}.") from None
    try:
        return moves[current]
    except KeyError:
        allowed = ", ".join(str(status) for status in moves) or "none"
        raise InvalidStateTransition(
            f"Cannot {action} this {noun}: it is {current}; {action} applies only to: {allowed}."
        ) from None


def _raise_if_any(summary: str, problems: Sequence[FieldProblem]) -> None:
    if not problems:
        return
    listed = " ".join(f"{problem.field}: {problem.message}" for problem in problems)
    raise CourseRuleViolated(f"{summary}: {listed}", problems=tuple(problems))


def _describe(duration: timedelta) -> str:
    hours, minutes = divmod(duration // timedelta(minutes=1), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
