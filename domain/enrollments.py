"""Learning progress of one enrollment: attendance, final assessment, and when it may be completed.

Every rule of PROGRAMME.md "Learning progress" lives here, read from an `EnrollmentFacts` snapshot and a
`Scheme`. The completion rules are written once, in `completion_blockers`: the enrollment response shows
them as `blockers`, and `check_completion` raises the first of them as its named error, so what a partner
is told blocks a completion is exactly what refuses it.

Calendar days are UTC days (`CALENDAR_DAY_ZONE`): every instant in this system is UTC, and a partner must be
able to compute the earliest completion from the timestamps it sees in the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from domain.courses import SCHEDULED_FORMATS
from domain.errors import (
    AssessmentMissing,
    AttendanceIncomplete,
    CompletionTooEarly,
    DomainError,
    FieldProblem,
    InvalidStateTransition,
    OutOfTimeOrder,
    ValidationFailed,
)
from domain.schemes import Scheme

CALENDAR_DAY_ZONE: Final[tzinfo] = UTC
"""The zone whose midnights separate the calendar days of the elapsed-days rule."""

MIN_SEQUENCE: Final = 1
MIN_SCORE: Final = 0
MAX_SCORE: Final = 100


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AttendanceOutcome(StrEnum):
    """What an accepted attendance report does to the stored attendance."""

    RECORDED = "recorded"
    """The sequence was not attended yet: store it with this `attended_at`."""
    ALREADY_RECORDED = "already_recorded"
    """The sequence was attended before: nothing changes, the first `attended_at` stands."""


class BlockerCode(StrEnum):
    """Why an active enrollment cannot be completed yet; each value is also the code of the error raised."""

    ATTENDANCE_INCOMPLETE = AttendanceIncomplete.code
    ASSESSMENT_MISSING = AssessmentMissing.code
    COMPLETION_TOO_EARLY = CompletionTooEarly.code


_BLOCKER_ERRORS: Final[Mapping[BlockerCode, type[DomainError]]] = {
    BlockerCode.ATTENDANCE_INCOMPLETE: AttendanceIncomplete,
    BlockerCode.ASSESSMENT_MISSING: AssessmentMissing,
    BlockerCode.COMPLETION_TOO_EARLY: CompletionTooEarly,
}


class EnrollmentAction(StrEnum):
    """What a partner may do next with an enrollment (the response's `allowed_actions`)."""

    RECORD_ATTENDANCE = "record_attendance"
    RECORD_ASSESSMENT = "record_assessment"
    COMPLETE = "complete"
    ISSUE_CERTIFICATE = "issue_certificate"


@dataclass(frozen=True, slots=True)
class Blocker:
    """One unmet completion requirement: a machine `code`, a sentence for people, and for time the instant."""

    code: BlockerCode
    message: str
    earliest: datetime | None = None
    """Only for `completion_too_early`: the first instant at which the course may be completed."""

    def to_error(self) -> DomainError:
        """The named error that refuses a completion for this reason."""
        return _BLOCKER_ERRORS[self.code](self.message)


def required_sequences(session_count: int | None, modules: int | None) -> int:
    """How many sessions or modules a learner must attend: each session of a scheduled course's schedule, or
    each module of a self-paced course, which counts as one module when it does not say how many it has."""
    if session_count is not None:
        return session_count
    return modules or 1


@dataclass(frozen=True, slots=True)
class EnrollmentFacts:
    """Everything the learning-progress rules read about one enrollment, as stored now.

    `required_sequences` is the number of sessions (scheduled formats) or modules (self-paced) to attend.
    `session_starts` maps each session sequence to its start for scheduled formats and is None for self-paced,
    whose modules have no fixed time. The constructor refuses facts that cannot come from a consistent store:
    that is a bug in whoever built them, not a partner's mistake, so it raises ValueError.
    """

    status: EnrollmentStatus
    course_format: str
    course_hours: int
    required_sequences: int
    attended_sequences: frozenset[int]
    session_starts: Mapping[int, datetime] | None
    assessment_score: int | None
    redeemed_at: datetime
    completed_at: datetime | None
    has_certificate: bool

    def __post_init__(self) -> None:
        if self.required_sequences < 1:
            raise ValueError("An enrollment needs at least one session or module.")
        expected = set(range(1, self.required_sequences + 1))
        if not self.attended_sequences <= expected:
            raise ValueError("Attended sequences must lie within 1..required_sequences.")
        if self.course_format in SCHEDULED_FORMATS:
            if self.session_starts is None or set(self.session_starts) != expected:
                raise ValueError("A scheduled course needs a start for each of its sessions 1..n.")
        elif self.session_starts is not None:
            raise ValueError("A self-paced course has no session starts.")
        if self.status is EnrollmentStatus.COMPLETED and self.completed_at is None:
            raise ValueError("A completed enrollment has a completion time.")

    @property
    def is_scheduled(self) -> bool:
        """Whether the course is taught in timed sessions rather than self-paced modules."""
        return self.course_format in SCHEDULED_FORMATS

    @property
    def attended_count(self) -> int:
        """How many of the required sessions or modules have been reported attended."""
        return len(self.attended_sequences)


def _require_active(facts: EnrollmentFacts, what: str) -> None:
    if facts.status is not EnrollmentStatus.ACTIVE:
        raise InvalidStateTransition(f"The enrollment is {facts.status}; {what} only an active enrollment.")


def _require_between_redemption_and_now(field: str, at: datetime, facts: EnrollmentFacts, now: datetime) -> None:
    """Refuse a reported instant that lies in the future or before the voucher was redeemed."""
    if at > now:
        raise OutOfTimeOrder(
            f"{field} {iso_instant(at)} is in the future.",
            problems=(FieldProblem(field, "must not be in the future"),),
        )
    if at < facts.redeemed_at:
        raise OutOfTimeOrder(
            f"{field} {iso_instant(at)} is before the redemption at {iso_instant(facts.redeemed_at)}.",
            problems=(FieldProblem(field, f"must not be before the redemption at {iso_instant(facts.redeemed_at)}"),),
        )


def check_attendance(facts: EnrollmentFacts, sequence: int, attended_at: datetime, now: datetime) -> AttendanceOutcome:
    """Accept or refuse an attendance report for session/module `sequence`, saying whether it changes anything.

    Checks, in order: the enrollment is active (InvalidStateTransition); `sequence` is within 1..n;
    `attended_at` is not in the future, not before redemption and, for scheduled formats, not before that
    session starts (ValidationFailed). Reporting an attended sequence again is accepted and changes nothing:
    the first `attended_at` stands, so a retried or duplicated report can never move attendance in time.
    A repeated report is still validated, so a wrong timestamp is refused rather than silently ignored.
    """
    _require_active(facts, "attendance is recorded for")
    n = facts.required_sequences
    if not MIN_SEQUENCE <= sequence <= n:
        raise ValidationFailed(
            f"Sequence {sequence} does not exist: this course has sequences 1 to {n}.",
            problems=(FieldProblem("sequence", f"must be between 1 and {n}"),),
        )
    _require_between_redemption_and_now("attended_at", attended_at, facts, now)
    if facts.session_starts is not None:
        starts_at = facts.session_starts[sequence]
        if attended_at < starts_at:
            problem = f"must not be before session {sequence} starts at {iso_instant(starts_at)}"
            raise OutOfTimeOrder(f"attended_at {problem}.", problems=(FieldProblem("attended_at", problem),))
    if sequence in facts.attended_sequences:
        return AttendanceOutcome.ALREADY_RECORDED
    return AttendanceOutcome.RECORDED


def check_assessment(facts: EnrollmentFacts, score: int, assessed_at: datetime, now: datetime) -> None:
    """Accept a final assessment (a new one or a correction) or refuse it with a named error.

    Checks, in order: the enrollment is active - a score may be corrected any number of times until the
    enrollment is completed, never after (InvalidStateTransition); `score` is an integer 0..100;
    `assessed_at` is not in the future and not before redemption (ValidationFailed).
    """
    _require_active(facts, "an assessment is recorded for")
    # bool is an int in Python; `true` is not a score.
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise ValidationFailed(
            f"Score {score!r} is not an integer from {MIN_SCORE} to {MAX_SCORE}.",
            problems=(FieldProblem("score", f"must be an integer from {MIN_SCORE} to {MAX_SCORE}"),),
        )
    _require_between_redemption_and_now("assessed_at", assessed_at, facts, now)


def required_days(course_hours: int, course_format: str, scheme: Scheme) -> int:
    """How many calendar days a course of `course_hours` hours spans at least: ceil(hours / daily maximum)."""
    max_daily = scheme.max_daily_hours(course_format)
    # Integer ceiling: hours and the daily maximum are whole numbers, so no float rounding can creep in.
    return max(1, -(-course_hours // max_daily))


def earliest_completion(redeemed_at: datetime, course_hours: int, course_format: str, scheme: Scheme) -> datetime:
    """The first instant at which a course redeemed at `redeemed_at` may be completed.

    A course of H hours cannot be completed in fewer calendar days than H divided by the format's daily
    maximum. The days are counted inclusively and the redemption day is day 1, whatever its hour: a 15-hour
    online course (3 h a day, so 5 days) redeemed any time on 1 March may be completed from 5 March 00:00,
    because 1 to 5 March are five calendar days. The rule counts calendar days, not 24-hour periods, so the time
    of day within the first and last day does not matter. For a one-day course that is the redemption itself.
    """
    first_day = redeemed_at.astimezone(CALENDAR_DAY_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    last_day_starts = first_day + timedelta(days=required_days(course_hours, course_format, scheme) - 1)
    return max(redeemed_at, last_day_starts)


def _blockers_at(facts: EnrollmentFacts, scheme: Scheme, at: datetime) -> list[Blocker]:
    """Every requirement, in the documented order, that forbids completing `facts` at the instant `at`."""
    blockers: list[Blocker] = []
    if facts.attended_count < facts.required_sequences:
        unit = "sessions attended" if facts.is_scheduled else "modules completed"
        blockers.append(
            Blocker(
                BlockerCode.ATTENDANCE_INCOMPLETE,
                f"{facts.attended_count} of {facts.required_sequences} {unit}.",
            )
        )
    if facts.assessment_score is None:
        blockers.append(Blocker(BlockerCode.ASSESSMENT_MISSING, "No final assessment has been recorded."))
    earliest = earliest_completion(facts.redeemed_at, facts.course_hours, facts.course_format, scheme)
    if at < earliest:
        days = required_days(facts.course_hours, facts.course_format, scheme)
        max_daily = scheme.max_daily_hours(facts.course_format)
        blockers.append(
            Blocker(
                BlockerCode.COMPLETION_TOO_EARLY,
                f"A {facts.course_hours}-hour {facts.course_format} course, at most {max_daily} hours a day, spans "
                f"at least {days} calendar days; it may be completed from {iso_instant(earliest)}.",
                earliest=earliest,
            )
        )
    return blockers


def completion_blockers(facts: EnrollmentFacts, scheme: Scheme, now: datetime) -> list[Blocker]:
    """What stops this enrollment from being completed right now, in the order `check_completion` reports them.

    Order: attendance, assessment, elapsed days. Empty for an enrollment that is not active: nothing the
    partner can do unblocks a completed or cancelled enrollment, and `allowed_actions` already says so.
    """
    if facts.status is not EnrollmentStatus.ACTIVE:
        return []
    return _blockers_at(facts, scheme, now)


def check_completion(facts: EnrollmentFacts, completed_at: datetime, scheme: Scheme, now: datetime) -> None:
    """Accept a completion at `completed_at` or refuse it with the first reason that forbids it.

    Checks, in order:
    1. the enrollment is active, else InvalidStateTransition (a retried completion is answered by the
       idempotency layer before it reaches this rule);
    2. `completed_at` is not in the future and not before redemption, else ValidationFailed: an impossible
       timestamp is the request's fault whatever the progress, and it must not read as "too early";
    3. the first of `completion_blockers` evaluated at `completed_at`: AttendanceIncomplete, then
       AssessmentMissing, then CompletionTooEarly (whose detail names the earliest instant).
    """
    _require_active(facts, "completion is reported for")
    _require_between_redemption_and_now("completed_at", completed_at, facts, now)
    blockers = _blockers_at(facts, scheme, completed_at)
    if blockers:
        raise blockers[0].to_error()


def allowed_actions(
    facts: EnrollmentFacts, scheme: Scheme, now: datetime, *, blockers: list[Blocker] | None = None
) -> list[EnrollmentAction]:
    """The actions that would succeed and change something now, in the order a partner takes them.

    Active: record attendance while a session or module is unattended (re-reporting one is accepted but
    changes nothing, so it is not offered); record or correct the assessment; complete when nothing blocks.
    Completed: issue the certificate unless one exists. Cancelled: nothing. `blockers`: what
    `completion_blockers(facts, scheme, now)` returned, when the caller has it already (it is not computed again).
    """
    if facts.status is EnrollmentStatus.ACTIVE:
        actions: list[EnrollmentAction] = []
        if facts.attended_count < facts.required_sequences:
            actions.append(EnrollmentAction.RECORD_ATTENDANCE)
        actions.append(EnrollmentAction.RECORD_ASSESSMENT)
        if not (_blockers_at(facts, scheme, now) if blockers is None else blockers):
            actions.append(EnrollmentAction.COMPLETE)
        return actions
    if facts.status is EnrollmentStatus.COMPLETED and not facts.has_certificate:
        return [EnrollmentAction.ISSUE_CERTIFICATE]
    return []


def iso_instant(at: datetime) -> str:
    """An instant as the API writes it, for messages: ISO 8601 in UTC with a `Z`."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
