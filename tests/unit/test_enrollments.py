"""Learning progress: attendance, assessment, the elapsed-days rule, completion, blockers and next actions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enrollments import (
    AttendanceOutcome,
    BlockerCode,
    EnrollmentAction,
    EnrollmentFacts,
    EnrollmentStatus,
    allowed_actions,
    check_assessment,
    check_attendance,
    check_completion,
    completion_blockers,
    earliest_completion,
    required_days,
    required_sequences,
)
from domain.errors import (
    AssessmentMissing,
    AttendanceIncomplete,
    CompletionTooEarly,
    DomainError,
    InvalidStateTransition,
    ValidationFailed,
)
from domain.schemes import Scheme
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024, SCHEMES

FORMATS = ("self_paced", "webinar", "offline", "blended")
SCHEDULED = ("webinar", "offline", "blended")
BOTH_SCHEMES = pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=list(SCHEMES))
EVERY_FORMAT = pytest.mark.parametrize("course_format", FORMATS)
NOT_ACTIVE = pytest.mark.parametrize("status", [EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED])

REDEEMED_AT = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
SESSIONS = 5
LATER = REDEEMED_AT + timedelta(days=30)
"""An instant after every session has started and every course's earliest completion."""


def session_starts(n: int = SESSIONS) -> dict[int, datetime]:
    """Session k starts k days after redemption at 09:00."""
    first = REDEEMED_AT.replace(hour=9)
    return {k: first + timedelta(days=k) for k in range(1, n + 1)}


def make_facts(course_format: str = "webinar", **changes: object) -> EnrollmentFacts:
    """An active enrollment of a 15-hour course with 5 sequences, nothing reported yet, plus `changes`."""
    facts = EnrollmentFacts(
        status=EnrollmentStatus.ACTIVE,
        course_format=course_format,
        course_hours=15,
        required_sequences=SESSIONS,
        attended_sequences=frozenset(),
        session_starts=session_starts() if course_format in SCHEDULED else None,
        assessment_score=None,
        redeemed_at=REDEEMED_AT,
        completed_at=None,
        has_certificate=False,
    )
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def ready_facts(course_format: str, hours: int = 15) -> EnrollmentFacts:
    """An active enrollment with every sequence attended and an assessment: only time can block it."""
    return make_facts(
        course_format, course_hours=hours, attended_sequences=frozenset(range(1, SESSIONS + 1)), assessment_score=80
    )


def completed_facts(course_format: str = "webinar", *, has_certificate: bool = False) -> EnrollmentFacts:
    return dataclasses.replace(
        ready_facts(course_format),
        status=EnrollmentStatus.COMPLETED,
        completed_at=REDEEMED_AT + timedelta(days=10),
        has_certificate=has_certificate,
    )


def problem_fields(error: DomainError) -> list[str]:
    return [problem.field for problem in error.problems]


# --- attendance ---------------------------------------------------------------------------------------------


@EVERY_FORMAT
def test_first_attendance_is_recorded_and_a_repeat_keeps_the_first(course_format: str) -> None:
    now = LATER
    first = make_facts(course_format)
    assert check_attendance(first, 2, now, now) is AttendanceOutcome.RECORDED
    repeated = make_facts(course_format, attended_sequences=frozenset({2}))
    assert check_attendance(repeated, 2, now - timedelta(days=1), now) is AttendanceOutcome.ALREADY_RECORDED


@EVERY_FORMAT
def test_a_repeated_attendance_report_is_still_validated(course_format: str) -> None:
    facts = make_facts(course_format, attended_sequences=frozenset({1}))
    now = LATER
    with pytest.raises(ValidationFailed):
        check_attendance(facts, 1, now + ONE_SECOND, now)


@EVERY_FORMAT
@NOT_ACTIVE
def test_attendance_needs_an_active_enrollment(course_format: str, status: EnrollmentStatus) -> None:
    facts = dataclasses.replace(completed_facts(course_format), status=status)
    now = LATER
    with pytest.raises(InvalidStateTransition):
        check_attendance(facts, 1, now, now)


@EVERY_FORMAT
@pytest.mark.parametrize(("sequence", "accepted"), [(0, False), (1, True), (SESSIONS, True), (SESSIONS + 1, False)])
def test_attendance_sequence_must_be_one_to_n(course_format: str, sequence: int, accepted: bool) -> None:
    facts = make_facts(course_format)
    now = LATER
    if accepted:
        assert check_attendance(facts, sequence, now, now) is AttendanceOutcome.RECORDED
    else:
        with pytest.raises(ValidationFailed) as caught:
            check_attendance(facts, sequence, now, now)
        assert problem_fields(caught.value) == ["sequence"]


@EVERY_FORMAT
def test_attendance_may_not_be_in_the_future(course_format: str) -> None:
    facts = make_facts(course_format)
    now = LATER
    assert check_attendance(facts, 1, now, now) is AttendanceOutcome.RECORDED
    with pytest.raises(ValidationFailed) as caught:
        check_attendance(facts, 1, now + ONE_SECOND, now)
    assert problem_fields(caught.value) == ["attended_at"]


def test_self_paced_attendance_may_start_at_redemption_but_not_before() -> None:
    facts = make_facts("self_paced")
    now = LATER
    assert check_attendance(facts, 1, REDEEMED_AT, now) is AttendanceOutcome.RECORDED
    with pytest.raises(ValidationFailed) as caught:
        check_attendance(facts, 1, REDEEMED_AT - ONE_SECOND, now)
    assert problem_fields(caught.value) == ["attended_at"]
    assert "redemption" in caught.value.detail


@pytest.mark.parametrize("course_format", SCHEDULED)
@pytest.mark.parametrize("sequence", [1, 3, SESSIONS])
def test_scheduled_attendance_may_not_precede_its_session(course_format: str, sequence: int) -> None:
    facts = make_facts(course_format)
    now = LATER
    starts_at = session_starts()[sequence]
    assert check_attendance(facts, sequence, starts_at, now) is AttendanceOutcome.RECORDED
    with pytest.raises(ValidationFailed) as caught:
        check_attendance(facts, sequence, starts_at - ONE_SECOND, now)
    assert problem_fields(caught.value) == ["attended_at"]
    assert f"session {sequence}" in caught.value.detail


@pytest.mark.parametrize("course_format", SCHEDULED)
def test_scheduled_attendance_before_redemption_names_the_redemption(course_format: str) -> None:
    # A session that started before the redemption (late redemption within the window) still cannot be
    # attended before the voucher was redeemed.
    starts = {k: REDEEMED_AT - timedelta(minutes=30) + timedelta(days=k - 1) for k in range(1, SESSIONS + 1)}
    facts = make_facts(course_format, session_starts=starts)
    with pytest.raises(ValidationFailed) as caught:
        check_attendance(facts, 1, REDEEMED_AT - ONE_SECOND, LATER)
    assert "redemption" in caught.value.detail


# --- assessment ---------------------------------------------------------------------------------------------


@EVERY_FORMAT
@pytest.mark.parametrize(("score", "accepted"), [(-1, False), (0, True), (57, True), (100, True), (101, False)])
def test_assessment_score_is_zero_to_one_hundred(course_format: str, score: int, accepted: bool) -> None:
    facts = make_facts(course_format)
    now = LATER
    if accepted:
        check_assessment(facts, score, now, now)
    else:
        with pytest.raises(ValidationFailed) as caught:
            check_assessment(facts, score, now, now)
        assert problem_fields(caught.value) == ["score"]


@pytest.mark.parametrize("score", [True, 50.5, "80"])
def test_assessment_score_must_be_an_integer(score: object) -> None:
    facts = make_facts()
    now = LATER
    with pytest.raises(ValidationFailed) as caught:
        check_assessment(facts, score, now, now)  # type: ignore[arg-type]
    assert problem_fields(caught.value) == ["score"]


@EVERY_FORMAT
def test_assessment_may_be_corrected_while_active(course_format: str) -> None:
    facts = make_facts(course_format, assessment_score=40)
    now = LATER
    check_assessment(facts, 90, now, now)


@EVERY_FORMAT
@NOT_ACTIVE
def test_assessment_cannot_change_once_not_active(course_format: str, status: EnrollmentStatus) -> None:
    facts = dataclasses.replace(completed_facts(course_format), status=status)
    now = LATER
    with pytest.raises(InvalidStateTransition):
        check_assessment(facts, 90, now, now)


@EVERY_FORMAT
@pytest.mark.parametrize(
    ("assessed_at", "accepted"),
    [
        (REDEEMED_AT - ONE_SECOND, False),
        (REDEEMED_AT, True),
        (REDEEMED_AT + timedelta(days=3), True),
        (REDEEMED_AT + timedelta(days=3, seconds=1), False),
    ],
)
def test_assessment_time_lies_between_redemption_and_now(
    course_format: str, assessed_at: datetime, accepted: bool
) -> None:
    facts = make_facts(course_format)
    now = REDEEMED_AT + timedelta(days=3)
    if accepted:
        check_assessment(facts, 75, assessed_at, now)
    else:
        with pytest.raises(ValidationFailed) as caught:
            check_assessment(facts, 75, assessed_at, now)
        assert problem_fields(caught.value) == ["assessed_at"]


# --- elapsed days -------------------------------------------------------------------------------------------

DAYS_BY_FORMAT_AND_HOURS = [
    # (format, hours, calendar days): hours / daily maximum (online 3, offline 8), rounded up.
    ("self_paced", 15, 5),
    ("webinar", 15, 5),
    ("blended", 15, 5),
    ("offline", 15, 2),
    ("self_paced", 16, 6),
    ("webinar", 16, 6),
    ("blended", 18, 6),
    ("webinar", 19, 7),
    ("offline", 16, 2),
    ("offline", 17, 3),
    ("offline", 24, 3),
    ("offline", 40, 5),
]


@BOTH_SCHEMES
@pytest.mark.parametrize(("course_format", "hours", "days"), DAYS_BY_FORMAT_AND_HOURS)
def test_required_days_is_hours_over_the_daily_maximum_rounded_up(
    scheme: Scheme, course_format: str, hours: int, days: int
) -> None:
    assert required_days(hours, course_format, scheme) == days


def test_required_days_reads_the_daily_maximum_from_the_scheme() -> None:
    generous = dataclasses.replace(SCHEME_2024, max_daily_hours_online=5, max_daily_hours_offline=10)
    assert required_days(15, "self_paced", generous) == 3
    assert required_days(40, "offline", generous) == 4


@BOTH_SCHEMES
@pytest.mark.parametrize(("course_format", "hours", "days"), DAYS_BY_FORMAT_AND_HOURS)
def test_the_redemption_day_is_day_one(scheme: Scheme, course_format: str, hours: int, days: int) -> None:
    earliest = earliest_completion(REDEEMED_AT, hours, course_format, scheme)
    assert earliest == datetime(2024, 3, days, tzinfo=UTC)  # redeemed on 1 March: day `days` is March `days`


def test_fifteen_online_hours_redeemed_on_1_march_complete_from_5_march_midnight() -> None:
    assert earliest_completion(REDEEMED_AT, 15, "self_paced", SCHEME_2024) == datetime(2024, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "redeemed_at",
    [datetime(2024, 3, 1, 0, 0, tzinfo=UTC), datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)],
    ids=["first-instant-of-the-day", "last-instant-of-the-day"],
)
def test_the_hour_of_redemption_does_not_move_the_earliest_day(redeemed_at: datetime) -> None:
    assert earliest_completion(redeemed_at, 15, "webinar", SCHEME_2020) == datetime(2024, 3, 5, tzinfo=UTC)


def test_calendar_days_are_utc_days_whatever_the_offset_given() -> None:
    # 05:00 in Jakarta on 2 March is 22:00 UTC on 1 March: day 1 is 1 March.
    jakarta = timezone(timedelta(hours=7))
    redeemed_at = datetime(2024, 3, 2, 5, 0, tzinfo=jakarta)
    assert earliest_completion(redeemed_at, 15, "webinar", SCHEME_2024) == datetime(2024, 3, 5, tzinfo=UTC)


def test_days_run_across_month_ends_and_leap_days() -> None:
    redeemed_at = datetime(2024, 2, 28, 18, 0, tzinfo=UTC)  # 28 Feb, 29 Feb, 1, 2, 3 March
    assert earliest_completion(redeemed_at, 15, "self_paced", SCHEME_2024) == datetime(2024, 3, 3, tzinfo=UTC)


def test_a_course_of_one_day_may_complete_from_the_redemption_itself() -> None:
    assert earliest_completion(REDEEMED_AT, 8, "offline", SCHEME_2024) == REDEEMED_AT


@BOTH_SCHEMES
@pytest.mark.parametrize(("course_format", "hours", "days"), DAYS_BY_FORMAT_AND_HOURS)
def test_completion_at_the_earliest_instant_passes_and_one_second_before_is_too_early(
    scheme: Scheme, course_format: str, hours: int, days: int
) -> None:
    facts = ready_facts(course_format, hours)
    earliest = datetime(2024, 3, days, tzinfo=UTC)
    now = earliest + timedelta(days=1)
    check_completion(facts, earliest, scheme, now)
    with pytest.raises(CompletionTooEarly) as caught:
        check_completion(facts, earliest - ONE_SECOND, scheme, now)
    assert f"2024-03-{days:02d}T00:00:00Z" in caught.value.detail


# --- completion ---------------------------------------------------------------------------------------------


@EVERY_FORMAT
@NOT_ACTIVE
def test_only_an_active_enrollment_completes(course_format: str, status: EnrollmentStatus) -> None:
    facts = dataclasses.replace(completed_facts(course_format), status=status)
    now = LATER
    with pytest.raises(InvalidStateTransition):
        check_completion(facts, now, SCHEME_2024, now)


@BOTH_SCHEMES
@pytest.mark.parametrize(
    ("course_format", "detail"),
    [("self_paced", "3 of 5 modules completed."), *((f, "3 of 5 sessions attended.") for f in SCHEDULED)],
)
def test_completion_needs_every_sequence_attended(scheme: Scheme, course_format: str, detail: str) -> None:
    facts = dataclasses.replace(ready_facts(course_format), attended_sequences=frozenset({1, 2, 4}))
    now = LATER
    with pytest.raises(AttendanceIncomplete) as caught:
        check_completion(facts, now, scheme, now)
    assert caught.value.detail == detail


@BOTH_SCHEMES
@EVERY_FORMAT
def test_completion_needs_an_assessment(scheme: Scheme, course_format: str) -> None:
    facts = dataclasses.replace(ready_facts(course_format), assessment_score=None)
    now = LATER
    with pytest.raises(AssessmentMissing):
        check_completion(facts, now, scheme, now)


@BOTH_SCHEMES
@EVERY_FORMAT
def test_a_failing_score_still_completes(scheme: Scheme, course_format: str) -> None:
    # The programme asks for an assessment, not a pass mark: the score is reported, not judged.
    facts = dataclasses.replace(ready_facts(course_format), assessment_score=0)
    now = LATER
    check_completion(facts, now, scheme, now)


@EVERY_FORMAT
def test_completion_time_may_not_be_in_the_future(course_format: str) -> None:
    facts = ready_facts(course_format)
    now = LATER
    check_completion(facts, now, SCHEME_2024, now)
    with pytest.raises(ValidationFailed) as caught:
        check_completion(facts, now + ONE_SECOND, SCHEME_2024, now)
    assert problem_fields(caught.value) == ["completed_at"]


@EVERY_FORMAT
def test_completion_before_redemption_is_invalid_not_too_early(course_format: str) -> None:
    facts = ready_facts(course_format)
    with pytest.raises(ValidationFailed) as caught:
        check_completion(facts, REDEEMED_AT - ONE_SECOND, SCHEME_2024, LATER)
    assert problem_fields(caught.value) == ["completed_at"]


def test_completion_reports_attendance_before_assessment_before_time() -> None:
    facts = make_facts("webinar", attended_sequences=frozenset({1}))
    too_early = REDEEMED_AT + timedelta(days=1)
    with pytest.raises(AttendanceIncomplete):
        check_completion(facts, too_early, SCHEME_2024, too_early)
    attended = dataclasses.replace(facts, attended_sequences=frozenset(range(1, SESSIONS + 1)))
    with pytest.raises(AssessmentMissing):
        check_completion(attended, too_early, SCHEME_2024, too_early)
    assessed = dataclasses.replace(attended, assessment_score=70)
    with pytest.raises(CompletionTooEarly):
        check_completion(assessed, too_early, SCHEME_2024, too_early)


def test_the_elapsed_days_are_judged_at_completed_at_not_at_now() -> None:
    facts = ready_facts("self_paced")
    now = datetime(2024, 3, 10, tzinfo=UTC)
    with pytest.raises(CompletionTooEarly):
        check_completion(facts, datetime(2024, 3, 4, 12, tzinfo=UTC), SCHEME_2024, now)


# --- blockers -----------------------------------------------------------------------------------------------


def test_blockers_list_every_unmet_requirement_in_order() -> None:
    facts = make_facts("webinar", attended_sequences=frozenset({1, 2, 3}))
    now = REDEEMED_AT + timedelta(days=1)
    blockers = completion_blockers(facts, SCHEME_2024, now)
    assert [b.code for b in blockers] == ["attendance_incomplete", "assessment_missing", "completion_too_early"]
    assert blockers[0].message == "3 of 5 sessions attended."
    assert blockers[2].earliest == datetime(2024, 3, 5, tzinfo=UTC)
    assert blockers[0].earliest is None


def test_blocker_codes_are_the_error_codes_they_raise() -> None:
    assert {code.value for code in BlockerCode} == {
        AttendanceIncomplete.code,
        AssessmentMissing.code,
        CompletionTooEarly.code,
    }


@BOTH_SCHEMES
@EVERY_FORMAT
def test_no_blockers_once_ready(scheme: Scheme, course_format: str) -> None:
    facts = ready_facts(course_format)
    assert completion_blockers(facts, scheme, LATER) == []


@pytest.mark.parametrize("status", [EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED])
def test_no_blockers_when_not_active(status: EnrollmentStatus) -> None:
    facts = dataclasses.replace(completed_facts(), status=status, attended_sequences=frozenset())
    assert completion_blockers(facts, SCHEME_2024, LATER) == []


@st.composite
def active_enrollments(draw: st.DrawFn) -> tuple[EnrollmentFacts, Scheme, datetime]:
    """An active enrollment in any state of progress, a scheme, and an instant up to 30 days after redemption."""
    course_format = draw(st.sampled_from(FORMATS))
    n = draw(st.integers(min_value=1, max_value=8))
    redeemed_at = draw(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))
    )
    starts = (
        {k: redeemed_at + timedelta(hours=draw(st.integers(0, 400))) for k in range(1, n + 1)}
        if course_format in SCHEDULED
        else None
    )
    facts = EnrollmentFacts(
        status=EnrollmentStatus.ACTIVE,
        course_format=course_format,
        course_hours=draw(st.integers(min_value=15, max_value=80)),
        required_sequences=n,
        attended_sequences=frozenset(draw(st.sets(st.integers(1, n)))),
        session_starts=starts,
        assessment_score=draw(st.none() | st.integers(0, 100)),
        redeemed_at=redeemed_at,
        completed_at=None,
        has_certificate=False,
    )
    scheme = draw(st.sampled_from([SCHEME_2024, SCHEME_2020]))
    # Half the instants sit on the elapsed-days boundary, where an off-by-one would hide.
    earliest = earliest_completion(redeemed_at, facts.course_hours, course_format, scheme)
    at = draw(
        st.sampled_from([earliest, earliest - timedelta(microseconds=1)])
        | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)).map(lambda d: redeemed_at + d)
    )
    return facts, scheme, at


@settings(max_examples=300, deadline=None)
@given(active_enrollments())
def test_blockers_agree_with_check_completion(case: tuple[EnrollmentFacts, Scheme, datetime]) -> None:
    facts, scheme, at = case
    blockers = completion_blockers(facts, scheme, at)
    assert allowed_actions(facts, scheme, at, blockers=blockers) == allowed_actions(facts, scheme, at)
    if not blockers:
        check_completion(facts, at, scheme, at)
        assert EnrollmentAction.COMPLETE in allowed_actions(facts, scheme, at)
        return
    with pytest.raises(DomainError) as caught:
        check_completion(facts, at, scheme, at)
    assert caught.value.code == blockers[0].code
    assert caught.value.detail == blockers[0].message
    assert EnrollmentAction.COMPLETE not in allowed_actions(facts, scheme, at)


# --- allowed actions ----------------------------------------------------------------------------------------


@BOTH_SCHEMES
@EVERY_FORMAT
def test_allowed_actions_follow_progress(scheme: Scheme, course_format: str) -> None:
    now = LATER
    fresh = make_facts(course_format)
    assert allowed_actions(fresh, scheme, now) == ["record_attendance", "record_assessment"]
    ready = ready_facts(course_format)
    assert allowed_actions(ready, scheme, now) == ["record_assessment", "complete"]
    assert allowed_actions(ready, scheme, REDEEMED_AT + timedelta(hours=1)) == ["record_assessment"]
    assert allowed_actions(completed_facts(course_format), scheme, now) == ["issue_certificate"]
    assert allowed_actions(completed_facts(course_format, has_certificate=True), scheme, now) == []
    cancelled = dataclasses.replace(fresh, status=EnrollmentStatus.CANCELLED)
    assert allowed_actions(cancelled, scheme, now) == []


# --- the facts themselves -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        pytest.param({"required_sequences": 0}, "at least one", id="no-sequences"),
        pytest.param({"attended_sequences": frozenset({SESSIONS + 1})}, "within", id="attended-out-of-range"),
        pytest.param({"session_starts": None}, "a start for each", id="scheduled-without-starts"),
        pytest.param({"session_starts": session_starts(SESSIONS - 1)}, "a start for each", id="a-session-unstarted"),
        pytest.param({"status": EnrollmentStatus.COMPLETED}, "completion time", id="completed-without-time"),
    ],
)
def test_inconsistent_facts_cannot_be_built(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        make_facts("webinar", **changes)


def test_self_paced_facts_carry_no_session_starts() -> None:
    with pytest.raises(ValueError, match="self-paced"):
        make_facts("self_paced", session_starts=session_starts())


@pytest.mark.parametrize(
    ("session_count", "modules", "expected"),
    [(3, None, 3), (2, 7, 2), (None, 5, 5), (None, None, 1)],
)
def test_required_sequences_are_the_sessions_or_the_modules_and_no_module_count_means_one(
    session_count: int | None, modules: int | None, expected: int
) -> None:
    assert required_sequences(session_count, modules) == expected
