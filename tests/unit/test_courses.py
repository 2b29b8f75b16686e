"""Course rules of PROGRAMME.md "Courses": content, schedules, curation state machine, edits and revisions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import courses
from domain.courses import (
    CURATED_FIELDS,
    SCHEDULED_FORMATS,
    CourseAction,
    CourseContent,
    CourseFormat,
    CourseStatus,
    CuratedTerms,
    RevisionStatus,
    ScheduleDraft,
    Session,
    accepts_redemptions,
    allowed_actions,
    changed_fields,
    check_course,
    check_schedule,
    check_submittable,
    curation_reasons,
    editable,
    needs_recuration,
    on_sale,
    plan_edit,
    rejection_reasons,
    require_editable,
    require_on_sale,
    revision_transition,
    session_time_by_day,
    transition,
)
from domain.errors import (
    CourseNotOnSale,
    CourseRuleViolated,
    DomainError,
    InvalidRequest,
    InvalidStateTransition,
    ValidationFailed,
)
from domain.partners import PartnerStatus
from domain.schemes import Scheme
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024, SCHEMES

BOTH_SCHEMES = pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=list(SCHEMES))

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
FIRST_DAY = datetime(2026, 11, 10, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


def make_course(**changes: object) -> CourseContent:
    """A self-paced course that obeys every rule of both schemes; `changes` override fields."""
    course = CourseContent(
        title="Dasar Pemasaran Digital",
        description="Digital marketing for small businesses.",
        category="marketing",
        format=CourseFormat.SELF_PACED,
        hours=15,
        price=900_000,
        public_price=1_200_000,
        competencies=("social media ads", "copywriting"),
        language="id",
        modules=10,
    )
    return dataclasses.replace(course, **changes)  # type: ignore[arg-type]


def problem_fields(violation: pytest.ExceptionInfo[DomainError]) -> set[str]:
    return {problem.field for problem in violation.value.problems}


def session(sequence: int, day: int, start_hour: float, hours: float) -> Session:
    """Session `sequence` on the `day`-th day after FIRST_DAY (0-based), starting at `start_hour` UTC."""
    starts_at = FIRST_DAY + timedelta(days=day, hours=start_hour)
    return Session(sequence, starts_at, starts_at + timedelta(hours=hours))


def make_schedule(sessions: list[Session], **changes: object) -> ScheduleDraft:
    """A schedule spanning exactly its sessions, with a location and a meeting link so every format is served."""
    schedule = ScheduleDraft(
        starts_at=min(s.starts_at for s in sessions) if sessions else FIRST_DAY,
        ends_at=max(s.ends_at for s in sessions) if sessions else FIRST_DAY + timedelta(days=1),
        capacity=30,
        location="Balai Latihan Kerja, Bandung",
        meeting_url="https://meet.example.id/abc",
        sessions=tuple(sessions),
    )
    return dataclasses.replace(schedule, **changes)  # type: ignore[arg-type]


def daily_sessions(days: int, hours: float, first_sequence: int = 1, first_day: int = 0) -> list[Session]:
    return [session(first_sequence + i, first_day + i, 9, hours) for i in range(days)]


WEBINAR_15H = daily_sessions(5, 3)
OFFLINE_15H = [session(1, 0, 8, 8), session(2, 1, 8, 7)]


# --- curation state machine --------------------------------------------------------------------------------------

# Written out by hand from PROGRAMME.md, so the test does not merely restate the module's table.
EXPECTED_MOVES: dict[tuple[CourseStatus, CourseAction], CourseStatus] = {
    (CourseStatus.DRAFT, CourseAction.SUBMIT): CourseStatus.SUBMITTED,
    (CourseStatus.REJECTED, CourseAction.SUBMIT): CourseStatus.SUBMITTED,
    (CourseStatus.SUBMITTED, CourseAction.APPROVE): CourseStatus.APPROVED,
    (CourseStatus.SUBMITTED, CourseAction.REJECT): CourseStatus.REJECTED,
    (CourseStatus.APPROVED, CourseAction.SUSPEND): CourseStatus.SUSPENDED,
    (CourseStatus.SUSPENDED, CourseAction.REINSTATE): CourseStatus.APPROVED,
    (CourseStatus.DRAFT, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.SUBMITTED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.APPROVED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.REJECTED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.SUSPENDED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
}


@pytest.mark.parametrize("status", list(CourseStatus))
@pytest.mark.parametrize("action", list(CourseAction))
def test_every_status_and_action_either_moves_as_documented_or_is_refused(
    status: CourseStatus, action: CourseAction
) -> None:
    expected = EXPECTED_MOVES.get((status, action))
    if expected is None:
        with pytest.raises(InvalidStateTransition) as refused:
            transition(status, action, reasons=["incomplete syllabus"])
        assert refused.value.code == "invalid_state_transition"
        assert str(status) in refused.value.detail
        assert str(action) in refused.value.detail
    else:
        assert transition(status, action, reasons=["incomplete syllabus"]) is expected


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (CourseStatus.DRAFT, ["submit", "archive"]),
        (CourseStatus.SUBMITTED, ["approve", "reject", "archive"]),
        (CourseStatus.APPROVED, ["suspend", "archive"]),
        (CourseStatus.REJECTED, ["submit", "archive"]),
        (CourseStatus.SUSPENDED, ["reinstate", "archive"]),
        (CourseStatus.ARCHIVED, []),
    ],
)
def test_allowed_actions_lists_exactly_the_moves_the_state_machine_accepts(
    status: CourseStatus, actions: list[str]
) -> None:
    assert allowed_actions(status) == actions
    for action in actions:
        transition(status, action, reasons=["r"])


def test_transition_accepts_plain_strings_from_storage() -> None:
    assert transition(CourseStatus("draft"), "submit") == "submitted"


def test_unknown_action_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        transition(CourseStatus.DRAFT, "publish")


@pytest.mark.parametrize("reasons", [[], [""], ["   ", "\t"]])
def test_rejection_needs_a_non_blank_reason(reasons: list[str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        transition(CourseStatus.SUBMITTED, CourseAction.REJECT, reasons=reasons)
    assert problem_fields(refused) == {"reasons"}


def test_rejecting_a_course_not_submitted_reports_the_transition_before_the_reasons() -> None:
    with pytest.raises(InvalidStateTransition):
        transition(CourseStatus.APPROVED, CourseAction.REJECT, reasons=[])


def test_curation_reasons_a_rejection_needs_one_a_suspension_keeps_what_it_has() -> None:
    assert curation_reasons("suspend", ["  complaint ", " "]) == ("complaint",)
    assert curation_reasons("reinstate", []) == ()
    with pytest.raises(ValidationFailed):
        curation_reasons("reject_revision", [" "])


def test_rejection_reasons_are_trimmed_and_blanks_dropped() -> None:
    assert rejection_reasons(["  price too high ", "", "no syllabus"]) == ("price too high", "no syllabus")


# --- sales -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "sells", "redeems"),
    [
        (CourseStatus.DRAFT, False, False),
        (CourseStatus.SUBMITTED, False, False),
        (CourseStatus.APPROVED, True, True),
        (CourseStatus.REJECTED, False, False),
        (CourseStatus.SUSPENDED, False, False),
        (CourseStatus.ARCHIVED, False, True),
    ],
)
def test_only_approved_courses_sell_and_archived_ones_still_redeem_sold_vouchers(
    status: CourseStatus, sells: bool, redeems: bool
) -> None:
    assert on_sale(status) is sells
    assert accepts_redemptions(status) is redeems
    if sells:
        require_on_sale(status)
    else:
        with pytest.raises(CourseNotOnSale):
            require_on_sale(status)


# --- course content ----------------------------------------------------------------------------------------------


@BOTH_SCHEMES
def test_a_well_formed_course_passes(scheme: Scheme) -> None:
    check_course(make_course(), scheme)


@BOTH_SCHEMES
@pytest.mark.parametrize(("offset", "passes"), [(0, True), (1, True), (-1, False)])
def test_hours_must_reach_the_scheme_minimum(scheme: Scheme, offset: int, passes: bool) -> None:
    course = make_course(hours=scheme.min_course_hours + offset)
    if passes:
        check_course(course, scheme)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_course(course, scheme)
        assert problem_fields(refused) == {"hours"}


@BOTH_SCHEMES
@pytest.mark.parametrize(("offset", "passes"), [(-1, True), (0, True), (1, False)])
def test_price_may_not_exceed_the_scheme_training_balance(scheme: Scheme, offset: int, passes: bool) -> None:
    price = scheme.training_balance + offset
    course = make_course(price=price, public_price=price + 500_000)
    if passes:
        check_course(course, scheme)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_course(course, scheme)
        assert refused.value.code == "course_rule_violated"
        assert problem_fields(refused) == {"price"}


def test_the_same_price_fits_the_2024_balance_but_not_the_2020_one() -> None:
    course = make_course(price=1_000_001, public_price=2_000_000)
    check_course(course, SCHEME_2024)
    with pytest.raises(CourseRuleViolated):
        check_course(course, SCHEME_2020)
    check_course(make_course(price=3_500_000, public_price=3_500_000), SCHEME_2024)
    check_course(make_course(price=1_000_000, public_price=1_000_000), SCHEME_2020)


@BOTH_SCHEMES
@pytest.mark.parametrize(("price", "passes"), [(1, True), (0, False), (-100, False)])
def test_price_must_be_positive(scheme: Scheme, price: int, passes: bool) -> None:
    course = make_course(price=price)
    if passes:
        check_course(course, scheme)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_course(course, scheme)
        assert problem_fields(refused) == {"price"}


@BOTH_SCHEMES
@pytest.mark.parametrize(("public_offset", "passes"), [(1, True), (0, True), (-1, False)])
def test_price_may_not_exceed_the_public_price(scheme: Scheme, public_offset: int, passes: bool) -> None:
    course = make_course(price=800_000, public_price=800_000 + public_offset)
    if passes:
        check_course(course, scheme)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_course(course, scheme)
        assert problem_fields(refused) == {"price"}


@pytest.mark.parametrize("field", ["title", "description", "category", "language"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_text_fields_must_not_be_blank(field: str, blank: str) -> None:
    with pytest.raises(CourseRuleViolated) as refused:
        check_course(make_course(**{field: blank}), SCHEME_2024)
    assert problem_fields(refused) == {field}


@pytest.mark.parametrize(
    ("competencies", "fields"),
    [
        ((), {"competencies"}),
        (("copywriting", " "), {"competencies[1]"}),
        (("",), {"competencies[0]"}),
    ],
)
def test_competencies_need_at_least_one_and_none_blank(competencies: tuple[str, ...], fields: set[str]) -> None:
    with pytest.raises(CourseRuleViolated) as refused:
        check_course(make_course(competencies=competencies), SCHEME_2024)
    assert problem_fields(refused) == fields


@pytest.mark.parametrize(("modules", "passes"), [(1, True), (40, True), (0, False), (None, False)])
def test_self_paced_courses_need_at_least_one_module(modules: int | None, passes: bool) -> None:
    course = make_course(modules=modules)
    if passes:
        check_course(course, SCHEME_2024)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_course(course, SCHEME_2024)
        assert problem_fields(refused) == {"modules"}


@pytest.mark.parametrize("course_format", sorted(SCHEDULED_FORMATS))
def test_scheduled_formats_refuse_modules_because_sessions_are_counted(course_format: CourseFormat) -> None:
    check_course(make_course(format=course_format, modules=None), SCHEME_2024)
    with pytest.raises(CourseRuleViolated) as refused:
        check_course(make_course(format=course_format, modules=5), SCHEME_2024)
    assert problem_fields(refused) == {"modules"}


def test_every_broken_rule_is_reported_at_once() -> None:
    course = make_course(title=" ", hours=14, price=3_600_000, public_price=3_000_000, competencies=(), modules=None)
    with pytest.raises(CourseRuleViolated) as refused:
        check_course(course, SCHEME_2024)
    messages = [(p.field, p.message) for p in refused.value.problems]
    assert {field for field, _ in messages} == {"title", "hours", "price", "competencies", "modules"}
    assert len([field for field, _ in messages if field == "price"]) == 2  # over the balance and the public price
    assert "hours" in refused.value.detail


@pytest.mark.parametrize(
    ("course_format", "schedules", "passes"),
    [
        (CourseFormat.SELF_PACED, 0, True),
        (CourseFormat.WEBINAR, 0, False),
        (CourseFormat.WEBINAR, 1, True),
        (CourseFormat.OFFLINE, 0, False),
        (CourseFormat.OFFLINE, 2, True),
        (CourseFormat.BLENDED, 0, False),
        (CourseFormat.BLENDED, 1, True),
    ],
)
def test_scheduled_formats_need_a_schedule_before_submission(
    course_format: CourseFormat, schedules: int, passes: bool
) -> None:
    course = make_course(format=course_format, modules=None if course_format in SCHEDULED_FORMATS else 3)
    if passes:
        check_submittable(course, schedules)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_submittable(course, schedules)
        assert problem_fields(refused) == {"schedules"}


# --- schedules ---------------------------------------------------------------------------------------------------


@BOTH_SCHEMES
@pytest.mark.parametrize(
    ("course_format", "sessions"),
    [
        (CourseFormat.WEBINAR, WEBINAR_15H),
        (CourseFormat.OFFLINE, OFFLINE_15H),
        (CourseFormat.BLENDED, daily_sessions(2, 3)),
    ],
)
def test_a_well_formed_schedule_passes(scheme: Scheme, course_format: CourseFormat, sessions: list[Session]) -> None:
    check_schedule(course_format, 15, make_schedule(sessions), scheme, NOW)


def test_self_paced_courses_have_no_schedules() -> None:
    with pytest.raises(CourseRuleViolated):
        check_schedule(CourseFormat.SELF_PACED, 15, make_schedule(WEBINAR_15H), SCHEME_2024, NOW)


@BOTH_SCHEMES
@pytest.mark.parametrize(
    ("course_format", "last_day_hours", "passes"),
    [
        (CourseFormat.WEBINAR, 3, True),
        (CourseFormat.WEBINAR, 3.5, False),
        (CourseFormat.BLENDED, 3, True),
        (CourseFormat.BLENDED, 3.5, False),
        (CourseFormat.OFFLINE, 8, True),
        (CourseFormat.OFFLINE, 8.5, False),
    ],
)
def test_a_day_holds_at_most_the_scheme_daily_hours_of_the_format(
    scheme: Scheme, course_format: CourseFormat, last_day_hours: float, passes: bool
) -> None:
    # Earlier days at the cap cover the rest of the 15 hours, so only the last day's length decides.
    cap = scheme.max_daily_hours(course_format)
    full_days = 15 // cap
    sessions = [*daily_sessions(full_days, cap), session(full_days + 1, full_days, 8, last_day_hours)]
    schedule = make_schedule(sessions)
    if passes:
        check_schedule(course_format, 15, schedule, scheme, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(course_format, 15, schedule, scheme, NOW)
        assert problem_fields(refused) == {"sessions"}
        assert (FIRST_DAY + timedelta(days=full_days)).date().isoformat() in refused.value.detail


def test_two_sessions_on_one_day_are_summed_against_the_cap() -> None:
    sessions = [session(1, 0, 8, 2), session(2, 0, 13, 1.5), *daily_sessions(4, 3, first_sequence=3, first_day=1)]
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)
    assert "3 h 30 min" in refused.value.detail


def test_days_are_utc_days_so_a_session_over_midnight_counts_on_both() -> None:
    # 22:00-02:00 UTC is 2 h on each day: within the 3 h online cap although the session is 4 h long.
    over_midnight = session(1, 0, 22, 4)
    assert session_time_by_day([over_midnight]) == {
        date(2026, 11, 10): timedelta(hours=2),
        date(2026, 11, 11): timedelta(hours=2),
    }
    sessions = [over_midnight, *daily_sessions(4, 3, first_sequence=2, first_day=2)]
    check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)


def test_offsets_other_than_utc_are_grouped_by_their_utc_day() -> None:
    # 05:00-07:00 and 08:00-10:00 in Jakarta (UTC+7) are one local day but fall on two UTC days, 2 h each.
    morning = datetime(2026, 11, 10, 5, tzinfo=WIB)
    later = datetime(2026, 11, 10, 8, tzinfo=WIB)
    sessions = [
        Session(1, morning, morning + timedelta(hours=2)),
        Session(2, later, later + timedelta(hours=2)),
        *daily_sessions(4, 3, first_sequence=3, first_day=1),
    ]
    assert session_time_by_day(sessions[:2]) == {
        date(2026, 11, 9): timedelta(hours=2),
        date(2026, 11, 10): timedelta(hours=2),
    }
    check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)


@given(
    starts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=60 * 24 * 30), st.integers(min_value=1, max_value=60 * 72)),
        max_size=8,
    )
)
def test_time_by_day_adds_up_to_the_sessions_total(starts: list[tuple[int, int]]) -> None:
    sessions = [
        Session(i + 1, FIRST_DAY + timedelta(minutes=at), FIRST_DAY + timedelta(minutes=at + length))
        for i, (at, length) in enumerate(starts)
    ]
    by_day = session_time_by_day(sessions)
    assert sum(by_day.values(), timedelta()) == sum((s.duration for s in sessions), timedelta())
    assert all(timedelta() < total <= timedelta(days=1) * len(sessions) for total in by_day.values())


@BOTH_SCHEMES
@pytest.mark.parametrize(("capacity", "passes"), [(1, True), (150, True), (151, False), (0, False)])
def test_webinar_capacity_is_capped_by_the_scheme(scheme: Scheme, capacity: int, passes: bool) -> None:
    schedule = make_schedule(WEBINAR_15H, capacity=capacity)
    if passes:
        check_schedule(CourseFormat.WEBINAR, 15, schedule, scheme, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(CourseFormat.WEBINAR, 15, schedule, scheme, NOW)
        assert problem_fields(refused) == {"capacity"}


@pytest.mark.parametrize(
    ("course_format", "sessions"), [(CourseFormat.OFFLINE, OFFLINE_15H), (CourseFormat.BLENDED, WEBINAR_15H)]
)
def test_only_webinars_have_the_capacity_cap(course_format: CourseFormat, sessions: list[Session]) -> None:
    check_schedule(course_format, 15, make_schedule(sessions, capacity=151), SCHEME_2024, NOW)
    with pytest.raises(CourseRuleViolated):
        check_schedule(course_format, 15, make_schedule(sessions, capacity=0), SCHEME_2024, NOW)


@pytest.mark.parametrize(
    ("course_format", "location", "meeting_url", "missing"),
    [
        (CourseFormat.OFFLINE, None, "https://meet.example.id/x", "location"),
        (CourseFormat.OFFLINE, "  ", None, "location"),
        (CourseFormat.OFFLINE, "Bandung", None, None),
        (CourseFormat.WEBINAR, "Bandung", None, "meeting_url"),
        (CourseFormat.WEBINAR, None, "", "meeting_url"),
        (CourseFormat.WEBINAR, None, "https://meet.example.id/x", None),
        (CourseFormat.BLENDED, None, None, "location"),
        (CourseFormat.BLENDED, "Bandung", None, None),
        (CourseFormat.BLENDED, None, "https://meet.example.id/x", None),
    ],
)
def test_venue_matches_the_format(
    course_format: CourseFormat, location: str | None, meeting_url: str | None, missing: str | None
) -> None:
    sessions = OFFLINE_15H if course_format == CourseFormat.OFFLINE else WEBINAR_15H
    schedule = make_schedule(sessions, location=location, meeting_url=meeting_url)
    if missing is None:
        check_schedule(course_format, 15, schedule, SCHEME_2024, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(course_format, 15, schedule, SCHEME_2024, NOW)
        assert problem_fields(refused) == {missing}


@pytest.mark.parametrize(("starts_after_now", "passes"), [(timedelta(seconds=1), True), (timedelta(0), False)])
def test_a_schedule_must_start_in_the_future(starts_after_now: timedelta, passes: bool) -> None:
    schedule = make_schedule(WEBINAR_15H, starts_at=NOW + starts_after_now)
    if passes:
        check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
        assert problem_fields(refused) == {"starts_at"}


def test_a_schedule_must_end_after_it_starts() -> None:
    schedule = make_schedule(WEBINAR_15H)
    backwards = dataclasses.replace(schedule, starts_at=schedule.ends_at, ends_at=schedule.starts_at)
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, backwards, SCHEME_2024, NOW)
    assert "ends_at" in problem_fields(refused)


def test_a_schedule_needs_sessions() -> None:
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.BLENDED, 15, make_schedule([]), SCHEME_2024, NOW)
    assert problem_fields(refused) == {"sessions"}


@pytest.mark.parametrize("sequences", [[1, 2, 2, 4, 5], [2, 3, 4, 5, 6], [0, 1, 2, 3, 4], [1, 2, 3, 4, 7]])
def test_session_sequences_are_exactly_one_to_n(sequences: list[int]) -> None:
    sessions = [dataclasses.replace(s, sequence=n) for s, n in zip(WEBINAR_15H, sequences, strict=True)]
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)
    assert problem_fields(refused) == {"sessions"}


def test_sessions_may_be_listed_in_any_order_if_their_sequences_follow_time() -> None:
    check_schedule(CourseFormat.WEBINAR, 15, make_schedule(list(reversed(WEBINAR_15H))), SCHEME_2024, NOW)


def test_session_sequences_must_follow_time() -> None:
    swapped = [dataclasses.replace(WEBINAR_15H[0], sequence=2), dataclasses.replace(WEBINAR_15H[1], sequence=1)]
    sessions = [*swapped, *WEBINAR_15H[2:]]
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)
    assert "Session 2 must start after session 1 ends" in refused.value.detail


@pytest.mark.parametrize(("gap_hours", "passes"), [(0, True), (-0.5, False)])
def test_sessions_may_touch_but_not_overlap(gap_hours: float, passes: bool) -> None:
    first = session(1, 0, 8, 1.5)
    second = Session(2, first.ends_at + timedelta(hours=gap_hours), first.ends_at + timedelta(hours=gap_hours + 1.5))
    sessions = [first, second, *daily_sessions(4, 3, first_sequence=3, first_day=1)]
    if passes:
        check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)
    else:
        with pytest.raises(CourseRuleViolated):
            check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)


@pytest.mark.parametrize("hours", [0, -1])
def test_a_session_must_end_after_it_starts(hours: float) -> None:
    sessions = [*WEBINAR_15H, session(6, 6, 9, hours)]
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, make_schedule(sessions), SCHEME_2024, NOW)
    assert "sessions[5].ends_at" in problem_fields(refused)


@pytest.mark.parametrize(
    ("start_shift", "end_shift", "outside"),
    [
        (timedelta(0), timedelta(0), None),  # schedule bounds exactly on the first start and last end
        (timedelta(minutes=1), timedelta(0), "sessions[0]"),  # first session starts before the schedule
        (timedelta(0), timedelta(minutes=-1), "sessions[4]"),  # last session ends after the schedule
    ],
)
def test_sessions_lie_within_the_schedule(start_shift: timedelta, end_shift: timedelta, outside: str | None) -> None:
    schedule = make_schedule(WEBINAR_15H)
    schedule = dataclasses.replace(
        schedule, starts_at=schedule.starts_at + start_shift, ends_at=schedule.ends_at + end_shift
    )
    if outside is None:
        check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
        assert problem_fields(refused) == {outside}


@pytest.mark.parametrize(
    ("course_format", "sessions", "passes"),
    [
        (CourseFormat.WEBINAR, WEBINAR_15H, True),
        (CourseFormat.WEBINAR, [*daily_sessions(4, 3), session(5, 4, 9, 2.5)], False),  # 14.5 h
        (CourseFormat.OFFLINE, OFFLINE_15H, True),
        (CourseFormat.OFFLINE, [session(1, 0, 8, 8), session(2, 1, 8, 6.5)], False),  # 14.5 h
        (CourseFormat.BLENDED, [session(1, 0, 9, 2)], True),  # the rest is self-paced
    ],
)
def test_webinar_and_offline_sessions_cover_the_course_hours(
    course_format: CourseFormat, sessions: list[Session], passes: bool
) -> None:
    if passes:
        check_schedule(course_format, 15, make_schedule(sessions), SCHEME_2024, NOW)
    else:
        with pytest.raises(CourseRuleViolated) as refused:
            check_schedule(course_format, 15, make_schedule(sessions), SCHEME_2024, NOW)
        assert problem_fields(refused) == {"sessions"}
        assert "14 h 30 min" in refused.value.detail


def test_instants_without_an_offset_are_refused_not_crashed_on() -> None:
    naive = Session(1, datetime(2026, 11, 10, 9), datetime(2026, 11, 10, 12))
    schedule = dataclasses.replace(make_schedule(WEBINAR_15H), sessions=(*WEBINAR_15H[1:], naive))
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
    assert problem_fields(refused) == {"sessions[4].starts_at", "sessions[4].ends_at"}


def test_every_broken_schedule_rule_is_reported_at_once() -> None:
    schedule = make_schedule([session(1, 0, 9, 4), session(1, 1, 9, 2)], capacity=151, meeting_url=None, starts_at=NOW)
    with pytest.raises(CourseRuleViolated) as refused:
        check_schedule(CourseFormat.WEBINAR, 15, schedule, SCHEME_2024, NOW)
    assert problem_fields(refused) == {"starts_at", "capacity", "meeting_url", "sessions"}
    assert len(refused.value.problems) == 6  # the four fields, plus sequences, the 4 h day and the 6 h total


# --- editing and revisions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "accepts"),
    [
        (CourseStatus.DRAFT, True),
        (CourseStatus.SUBMITTED, False),
        (CourseStatus.APPROVED, True),
        (CourseStatus.REJECTED, True),
        (CourseStatus.SUSPENDED, True),
        (CourseStatus.ARCHIVED, False),
    ],
)
def test_which_statuses_accept_edits(status: CourseStatus, accepts: bool) -> None:
    assert editable(status) is accepts
    if accepts:
        require_editable(status)
    else:
        with pytest.raises(InvalidStateTransition):
            require_editable(status)
        with pytest.raises(InvalidStateTransition):
            needs_recuration(status, {"title"})


def test_changed_fields_names_only_what_differs() -> None:
    before = make_course()
    after = dataclasses.replace(before, title="New", price=before.price)
    assert changed_fields(before, after) == {"title"}
    assert changed_fields(before, before) == frozenset()


@pytest.mark.parametrize(
    "status", [CourseStatus.DRAFT, CourseStatus.REJECTED, CourseStatus.APPROVED, CourseStatus.SUSPENDED]
)
@pytest.mark.parametrize("field", sorted(CURATED_FIELDS | {"title", "public_price", "modules"}))
def test_only_curated_fields_of_an_approved_or_suspended_course_need_recuration(
    status: CourseStatus, field: str
) -> None:
    expected = status in {CourseStatus.APPROVED, CourseStatus.SUSPENDED} and field in {"price", "hours", "format"}
    assert needs_recuration(status, {field}) is expected
    assert needs_recuration(status, {"description", field}) is expected


def test_an_approved_course_keeps_selling_at_its_old_price_until_the_new_one_is_approved() -> None:
    current = make_course()
    edited = dataclasses.replace(current, title="Pemasaran Digital Lanjut", price=1_100_000)
    plan = plan_edit(CourseStatus.APPROVED, current, edited, SCHEME_2024)
    assert plan.live == dataclasses.replace(current, title="Pemasaran Digital Lanjut")
    assert plan.proposed_terms == CuratedTerms(CourseFormat.SELF_PACED, 15, 1_100_000, 10)
    assert plan.proposed_terms.applied_to(plan.live) == edited


def test_an_edit_of_uncurated_fields_applies_at_once() -> None:
    current = make_course()
    edited = dataclasses.replace(current, description="Updated.", modules=12)
    assert plan_edit(CourseStatus.APPROVED, current, edited, SCHEME_2024).live == edited
    assert plan_edit(CourseStatus.APPROVED, current, edited, SCHEME_2024).proposed_terms is None


@pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.REJECTED])
def test_a_course_not_yet_approved_takes_every_edit_at_once(status: CourseStatus) -> None:
    current = make_course()
    edited = dataclasses.replace(current, price=500_000, hours=20)
    plan = plan_edit(status, current, edited, SCHEME_2024)
    assert plan.live == edited
    assert plan.proposed_terms is None


def test_modules_travel_with_a_held_format_change() -> None:
    current = make_course()
    edited = dataclasses.replace(current, format=CourseFormat.WEBINAR, modules=None)
    plan = plan_edit(CourseStatus.APPROVED, current, edited, SCHEME_2024)
    assert plan.live == current  # still self-paced with its 10 modules while the change is curated
    assert plan.proposed_terms == CuratedTerms(CourseFormat.WEBINAR, 15, 900_000, None)


def test_an_edit_must_leave_the_version_on_sale_within_the_rules() -> None:
    # Lowering the public price under the price still on sale is refused although the edit alone is valid.
    current = make_course(price=900_000, public_price=1_200_000)
    edited = dataclasses.replace(current, price=700_000, public_price=800_000)
    check_course(edited, SCHEME_2024)
    with pytest.raises(CourseRuleViolated) as refused:
        plan_edit(CourseStatus.APPROVED, current, edited, SCHEME_2024)
    assert problem_fields(refused) == {"price"}


@BOTH_SCHEMES
def test_an_edit_is_checked_against_the_scheme(scheme: Scheme) -> None:
    current = make_course()
    edited = dataclasses.replace(current, price=scheme.training_balance + 1, public_price=scheme.training_balance + 1)
    with pytest.raises(CourseRuleViolated):
        plan_edit(CourseStatus.APPROVED, current, edited, scheme)


@pytest.mark.parametrize("title", ["Valid new title", " "])
def test_an_archived_course_refuses_any_edit_valid_or_not(title: str) -> None:
    current = make_course()
    with pytest.raises(InvalidStateTransition):
        plan_edit(CourseStatus.ARCHIVED, current, dataclasses.replace(current, title=title), SCHEME_2024)


@pytest.mark.parametrize("status", list(RevisionStatus))
@pytest.mark.parametrize("action", list(CourseAction))
def test_a_pending_revision_is_only_approved_or_rejected(status: RevisionStatus, action: CourseAction) -> None:
    expected = {
        (RevisionStatus.PENDING, CourseAction.APPROVE): RevisionStatus.APPROVED,
        (RevisionStatus.PENDING, CourseAction.REJECT): RevisionStatus.REJECTED,
    }.get((status, action))
    if expected is not None:
        assert revision_transition(status, action, reasons=["too expensive"]) is expected
    elif action in {CourseAction.APPROVE, CourseAction.REJECT}:
        with pytest.raises(InvalidStateTransition):
            revision_transition(status, action, reasons=["too expensive"])
    else:
        with pytest.raises(InvalidRequest):
            revision_transition(status, action)


def test_a_revision_rejection_needs_reasons() -> None:
    with pytest.raises(ValidationFailed):
        revision_transition(RevisionStatus.PENDING, CourseAction.REJECT, reasons=[" "])


@pytest.mark.parametrize(
    ("status", "course_format", "expected"),
    [
        (CourseStatus.DRAFT, CourseFormat.SELF_PACED, ["edit", "submit", "archive"]),
        (CourseStatus.DRAFT, CourseFormat.WEBINAR, ["edit", "submit", "archive", "add_schedule"]),
        (CourseStatus.SUBMITTED, CourseFormat.OFFLINE, ["archive", "add_schedule"]),
        (CourseStatus.APPROVED, CourseFormat.BLENDED, ["edit", "archive", "add_schedule"]),
        (CourseStatus.REJECTED, CourseFormat.SELF_PACED, ["edit", "submit", "archive"]),
        (CourseStatus.SUSPENDED, CourseFormat.SELF_PACED, ["edit", "archive"]),
        (CourseStatus.ARCHIVED, CourseFormat.WEBINAR, []),
    ],
)
def test_partner_actions_on_a_course(status: CourseStatus, course_format: CourseFormat, expected: list[str]) -> None:
    assert courses.partner_actions(status, course_format) == expected


@pytest.mark.parametrize("status", list(CourseStatus))
@pytest.mark.parametrize("partner_status", list(PartnerStatus))
def test_a_course_is_for_sale_only_approved_and_of_an_active_partner(
    status: CourseStatus, partner_status: PartnerStatus
) -> None:
    expected = status is CourseStatus.APPROVED and partner_status is PartnerStatus.ACTIVE
    assert courses.for_sale(status, partner_status) is expected
