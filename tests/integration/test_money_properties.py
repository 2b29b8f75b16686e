"""Property test of the money path: random sequences of service calls against a real PostgreSQL database.

A Hypothesis state machine enrols participants (both schemes, some past their first-purchase deadline), sells
courses, redeems (as the owning partner and as a stranger), completes (attendance, assessment and completion reported
at a `now` days after the redemption), voids, cancels, flags fraud, lets vouchers expire (the expiry instant is moved
into the past with SQL, then `api.jobs.worker.sweep` runs), freezes / unfreezes, closes statement periods (the
earliest open one, at an instant after it ended; closing it again, or one not yet ended, is refused) and marks closed
statements paid (the same reference again changes nothing, another is refused).
Every operation runs in its own transaction on the service layer, as the HTTP layer does; a DomainError is an
expected refusal (the transaction rolls back). A plain Python model predicts, for every call, either success or
the exact error class, and after EVERY step the database is checked against the model and against invariants
that hold whatever the model says:

1. balances: the running balance equals the sum of the participant's ledger, every `balance_after` is the
   running sum, nothing is negative, and a revoked participant holds nothing;
2. vouchers: one valid status each, consistent with enrollments (one iff ever redeemed; `redeemed` has exactly
   one active enrollment, `sold` none), `redeemed_at`/`closed_at`, at most one open voucher per participant,
   at most one unrefunded voucher per participant and course, and schedule seats that add up;
3. refunds: per voucher the refunds sum to 0 or exactly its purchase price (one purchase entry, at the price),
   present iff it was expired or cancelled (flagging such a voucher fraudulent afterwards keeps the refund, and
   it then no longer counts as holding the course: the participant may have bought the course again);
4. settlement (the reconciliation of issue 16): one `payable` line per voucher ever redeemed, at its price, that
   never changes; one `clawback` line of minus the price iff it was then cancelled or found fraudulent; for every
   partner, payable - clawed back over all its statements = the prices of its redeemed vouchers that are neither
   cancelled nor fraudulent, and so is the sum of its statements' nets (carry-forward moves money, never makes
   it); a closed or paid statement's frozen totals are its lines, its net never negative; the ledger of every
   participant is grants - purchases + refunds - lapses;
5. the model: balance and status of each participant, status of each voucher, audit rows and events per entity
   (a refused call leaves no trace);
6. the summary report over all time agrees with the ledger (money per scheme and kind, vouchers sold) and the
   statement lines (redeemed and clawed back, count and rupiah).

The database is one per test (`db_url`), shared by all examples: each example gets its own partners, courses
and participants, and every check is scoped to those. MONEY_PROPERTY_EXAMPLES / MONEY_PROPERTY_STEPS raise the
budget for a longer hunt (defaults: 100 examples of up to 50 steps, about 30-70 s on a busy two-core machine).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import asyncpg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from api.auth.national_id import NationalIdHasher
from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.jobs.worker import sweep
from api.schemas.participants import ParticipantCreate
from api.schemas.vouchers import PurchaseCreate
from api.services import enrollments as enrollment_service
from api.services import participants as participant_service
from api.services import reports as report_service
from api.services import statements as statement_service
from api.services import vouchers as voucher_service
from api.services.audit import Actor
from api.services.clock import Clock
from domain.errors import (
    ActiveTrainingExists,
    CourseAlreadyPurchased,
    DomainError,
    InsufficientBalance,
    InvalidStateTransition,
    LearnerAlreadyEnrolled,
    NotFound,
    ParticipantAlreadyEnrolled,
    ParticipantFrozen,
    ParticipantRevoked,
    ScheduleFull,
    VoucherAlreadyRedeemed,
    VoucherCancelled,
    VoucherExpired,
    VoucherFraudulent,
    VoucherVoidNotAllowed,
)
from domain.participants import ParticipantAction
from domain.statements import next_period, period_ends_at, period_of

ACTOR = Actor.system("property-test")
CODES = voucher_service.CodeFormat(sandbox=True)
WALL_CLOCK = Clock(sandbox=False)
HASHER = NationalIdHasher(b"k" * 32)

# Scheme parameters as the programme states them (PROGRAMME.md), written down here rather than read from the
# code under test: training balance, first-purchase deadline in days.
SCHEME_BALANCE = {"2024": 3_500_000, "2020": 1_000_000}
FIRST_PURCHASE_DAYS = {"2024": 15, "2020": 30}
BALANCE_DEADLINE = (12, 15)  # month, day: unspent balance lapses after 15 December of the cohort's year

OPEN = frozenset({"sold", "redeemed"})
CLOSED = frozenset({"completed", "expired", "cancelled", "fraudulent"})
ALL_STATUSES = frozenset({"sold", "redeemed", "completed", "expired", "cancelled", "fraudulent"})
LEARNERS = ("learner-1", "learner-2", "learner-3")
SCHEDULE_CAPACITY = 2
MAX_PARTICIPANTS = 6

_serial = itertools.count(1)
T = TypeVar("T")


# --- the catalogue of one example --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseSpec:
    key: str
    owner: str  # "a" or "b"
    price: int
    format: str = "self_paced"


COURSES = (
    CourseSpec("small", "a", 500_000),
    CourseSpec("whole_2020_balance", "a", 1_000_000),  # exactly a 2020 participant's whole balance
    CourseSpec("above_2020_balance", "a", 1_000_001),  # one rupiah more than a 2020 participant ever has
    CourseSpec("partner_b", "b", 1_500_000),
    CourseSpec("webinar", "a", 750_000, "webinar"),  # one schedule of SCHEDULE_CAPACITY seats, redeemable now
)
COURSE_KEYS = [c.key for c in COURSES]


@dataclass(frozen=True)
class Course:
    id: str
    partner_id: str
    price: int
    schedule_id: str | None


INSERT_PARTNER = "INSERT INTO partners (id, name, kind, contact_email) VALUES ($1, $2, 'provider', 'ops@example.id')"
INSERT_COURSE = """
INSERT INTO courses (id, partner_id, status, title, description, category, format, hours, price, public_price,
                     competencies, language, modules, submitted_at, approved_at)
VALUES ($1, $2, 'approved', $3, 'Kursus untuk uji properti.', 'testing', $4, 15, $5::bigint, $5::bigint + 100000,
        ARRAY['pengujian'], 'id', $6, now(), now())
"""
INSERT_SCHEDULE = """
INSERT INTO schedules (id, course_id, partner_id, starts_at, ends_at, capacity, meeting_url, sessions)
VALUES ($1, $2, $3, $4, $5, $6, 'https://meet.example.com/kelas', $7::jsonb)
"""


async def create_catalogue(conn: Connection) -> tuple[dict[str, str], dict[str, Course]]:
    """Two partners and the COURSES, all approved; the webinar's schedule starts in 30 minutes, so it is on sale
    and inside its redemption window (one hour either side of the start) for the whole test."""
    partners = {"a": new_id("prt"), "b": new_id("prt")}
    for name, partner_id in partners.items():
        await conn.execute(INSERT_PARTNER, partner_id, f"Partner {name.upper()}")
    courses: dict[str, Course] = {}
    start = datetime.now(UTC) + timedelta(minutes=30)
    for spec in COURSES:
        course_id = new_id("crs")
        self_paced = spec.format == "self_paced"
        await conn.execute(
            INSERT_COURSE,
            course_id,
            partners[spec.owner],
            f"Kursus {spec.key}",
            spec.format,
            spec.price,
            5 if self_paced else None,
        )
        schedule_id = None
        if not self_paced:
            schedule_id = new_id("sch")
            sessions = [
                {
                    "sequence": n + 1,
                    "starts_at": (start + timedelta(days=n)).isoformat(),
                    "ends_at": (start + timedelta(days=n, hours=3)).isoformat(),
                }
                for n in range(5)
            ]
            await conn.execute(
                INSERT_SCHEDULE,
                schedule_id,
                course_id,
                partners[spec.owner],
                start,
                start + timedelta(days=4, hours=3),
                SCHEDULE_CAPACITY,
                json.dumps(sessions),
            )
        courses[spec.key] = Course(course_id, partners[spec.owner], spec.price, schedule_id)
    return partners, courses


# --- the model ---------------------------------------------------------------------------------------------------


@dataclass
class Person:
    id: str
    scheme: str
    accepted_at: datetime
    programme_number: str
    nik: str
    status: str = "active"
    balance: int = 0
    audit_rows: int = 1  # participant.enrolled


@dataclass
class VoucherModel:
    code: str
    participant_id: str
    course_key: str
    course_id: str
    partner_id: str
    schedule_id: str | None
    amount: int
    status: str = "sold"
    learner_ref: str | None = None  # set by the redemption: the voucher was redeemed at some point
    enrollment_status: str | None = None
    refunded: bool = False
    transitions: int = 1  # voucher.sold; one audit row and one event per transition
    enrollment_id: str | None = None
    payable_line: dict[str, Any] | None = None  # the payable line as first seen: it must never change

    @property
    def holds_the_course(self) -> bool:
        """The participant bought the course with this voucher and did not get the money back: it cannot be bought
        again (a voucher flagged fraudulent after its refund no longer holds it)."""
        return self.status in {"sold", "redeemed", "completed"} or (self.status == "fraudulent" and not self.refunded)


def first_purchase_deadline(person: Person) -> datetime:
    return person.accepted_at + timedelta(days=FIRST_PURCHASE_DAYS[person.scheme])


def balance_deadline(accepted_at: datetime) -> date:
    month, day = BALANCE_DEADLINE
    deadline = date(accepted_at.year, month, day)
    return deadline if accepted_at.date() <= deadline else date(accepted_at.year + 1, month, day)


# --- what the invariants read ------------------------------------------------------------------------------------

SNAPSHOT_PEOPLE = """
SELECT p.id, p.status, b.balance FROM participants p JOIN balances b ON b.participant_id = p.id
 WHERE p.id = any($1::text[])
"""
SNAPSHOT_LEDGER = """
SELECT id, participant_id, kind, amount, signed_amount, balance_after, voucher_code FROM ledger_entries
 WHERE participant_id = any($1::text[]) ORDER BY id
"""
SNAPSHOT_VOUCHERS = """
SELECT code, participant_id, partner_id, course_id, schedule_id, amount, status, redeemed_at, closed_at, refunded_at
  FROM vouchers WHERE participant_id = any($1::text[]) OR partner_id = any($2::text[])
"""
SNAPSHOT_ENROLLMENTS = """
SELECT voucher_code, participant_id, course_id, learner_ref, status FROM enrollments
 WHERE participant_id = any($1::text[]) OR partner_id = any($2::text[])
"""
SNAPSHOT_SETTLEMENT = """
SELECT s.id, s.voucher_code, s.partner_id, s.amount, s.kind, s.created_at, s.statement_id
  FROM statement_lines s LEFT JOIN vouchers v ON v.code = s.voucher_code
 WHERE s.partner_id = any($1::text[]) OR v.participant_id = any($2::text[])
 ORDER BY s.id
"""
SNAPSHOT_STATEMENTS = """
SELECT s.id, s.partner_id, s.period, s.status, s.net, s.total_payable, s.total_clawed_back, s.total_carried_forward,
       s.line_count, s.payment_reference, coalesce(sum(l.amount), 0)::bigint AS lines_sum, count(l.id) AS lines,
       coalesce(sum(l.amount) FILTER (WHERE l.kind = 'payable'), 0)::bigint AS payable,
       coalesce(-sum(l.amount) FILTER (WHERE l.kind = 'clawback'), 0)::bigint AS clawed_back
  FROM statements s LEFT JOIN statement_lines l ON l.statement_id = s.id
 WHERE s.partner_id = any($1::text[])
 GROUP BY s.id
"""
SNAPSHOT_AUDIT = "SELECT entity_id, count(*) AS n FROM audit_log WHERE entity_id = any($1::text[]) GROUP BY entity_id"
SNAPSHOT_EVENTS = """
SELECT entity_id, count(*) AS n FROM events
 WHERE entity_type = 'voucher' AND (entity_id = any($1::text[]) OR partner_id = any($2::text[]))
 GROUP BY entity_id
"""
REPORT_LEDGER = """
SELECT p.scheme, l.kind, count(*) AS n, sum(l.amount)::bigint AS amount
  FROM ledger_entries l JOIN participants p ON p.id = l.participant_id GROUP BY p.scheme, l.kind
"""
REPORT_LINES = """
SELECT kind, count(*) AS n, sum(abs(amount))::bigint AS amount FROM statement_lines
 WHERE kind IN ('payable', 'clawback') GROUP BY kind
"""
SNAPSHOT_SEATS = "SELECT seats_sold, capacity FROM schedules WHERE id = $1"


def grouped(rows: list[asyncpg.Record]) -> dict[str, list[asyncpg.Record]]:
    """Rows by their voucher code."""
    by_code: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by_code.setdefault(row["voucher_code"], []).append(row)
    return by_code


@dataclass(frozen=True)
class Snapshot:
    """The rows of one example, read in one go after a step."""

    people: dict[str, asyncpg.Record]
    entries: list[asyncpg.Record]
    vouchers: dict[str, asyncpg.Record]
    enrollments: dict[str, list[asyncpg.Record]]
    lines: dict[str, list[asyncpg.Record]]
    all_lines: list[asyncpg.Record]
    statements: dict[str, asyncpg.Record]
    audit_rows: dict[str, int]
    events: dict[str, int]
    seats: asyncpg.Record | None


# --- the state machine -------------------------------------------------------------------------------------------


@dataclass
class Harness:
    """What every example shares: one event loop, one pool on the test's database."""

    runner: asyncio.Runner
    pool: asyncpg.Pool

    def run(self, coro: Awaitable[T]) -> T:
        return self.runner.run(coro)  # type: ignore[arg-type]


class MoneyMachine(RuleBasedStateMachine):
    harness: ClassVar[Harness]

    people = Bundle("people")
    codes = Bundle("codes")

    def __init__(self) -> None:
        super().__init__()
        self.partners, self.courses = self.harness.run(self._with_conn(create_catalogue))
        self.persons: dict[str, Person] = {}
        self.vouchers: dict[str, VoucherModel] = {}
        self.seats_sold = 0
        self.duplicates_tried = 0
        self.paid: dict[str, str] = {}  # statement id -> the payment reference it was marked paid with

    # -- plumbing

    async def _with_conn(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        async with self.harness.pool.acquire() as conn:
            return await work(conn)

    def attempt(self, work: Callable[[Connection], Awaitable[Any]]) -> tuple[Any, DomainError | None]:
        """Run `work` in a transaction of its own; a DomainError is a refusal (and rolls everything back)."""

        async def go() -> Any:
            async with self.harness.pool.acquire() as conn, conn.transaction():
                return await work(conn)

        try:
            return self.harness.run(go()), None
        except DomainError as refused:
            return None, refused

    @staticmethod
    def agree(what: str, expected: type[DomainError] | None, refused: DomainError | None) -> None:
        got = type(refused) if refused is not None else None
        said = f"{type(refused).__name__}: {refused.detail}" if refused is not None else "success"
        assert got is expected, f"{what}: expected {expected.__name__ if expected else 'success'}, got {said}"

    def refund(self, voucher: VoucherModel) -> None:
        voucher.refunded = True
        self.persons[voucher.participant_id].balance += voucher.amount

    def leave_sold(self, voucher: VoucherModel, status: str) -> None:
        """A sold voucher closes (not by redemption): its seat, if any, is free again."""
        voucher.status = status
        voucher.transitions += 1
        if voucher.schedule_id is not None:
            self.seats_sold -= 1

    # -- participants

    def _enrol(self, scheme: str, late: bool) -> str:
        n = next(_serial)
        days = FIRST_PURCHASE_DAYS[scheme] + 1 if late else 0
        body = ParticipantCreate(
            programme_number=f"PRK-PROP-{n:08d}",
            nik=f"{n:016d}",
            name="Siti Nurhaliza Putri",
            email="siti@example.id",
            phone="+6281234567890",
            scheme=scheme,  # type: ignore[arg-type]
            accepted_at=datetime.now(UTC) - timedelta(days=days, hours=1),
        )
        detail, refused = self.attempt(lambda c: participant_service.enrol(c, ACTOR, HASHER, body))
        self.agree("enrol", None, refused)
        person = Person(detail.id, scheme, body.accepted_at, body.programme_number, body.nik)
        person.balance = SCHEME_BALANCE[scheme]
        assert detail.balance == person.balance
        self.persons[person.id] = person
        return person.id

    @initialize(target=people, schemes=st.lists(st.sampled_from(["2024", "2020"]), min_size=1, max_size=3))
    def first_participants(self, schemes: list[str]) -> Any:
        """Start with a few participants in time for their first purchase, so money moves from the first step."""
        return multiple(*(self._enrol(scheme, late=False) for scheme in schemes))

    @precondition(lambda self: len(self.persons) < MAX_PARTICIPANTS)
    @rule(target=people, scheme=st.sampled_from(["2024", "2020"]), late=st.booleans())
    def enrol(self, scheme: str, late: bool) -> str:
        """Another participant; a late one is past the first-purchase deadline (so the sweep revokes them)."""
        return self._enrol(scheme, late)

    @precondition(lambda self: self.duplicates_tried < 2)
    @rule(person_id=people, same_number=st.booleans())
    def enrol_again(self, person_id: str, same_number: bool) -> None:
        """The same programme number or NIK twice: refused, and nothing of the attempt remains."""
        self.duplicates_tried += 1
        person = self.persons[person_id]
        n = next(_serial)
        body = ParticipantCreate(
            programme_number=person.programme_number if same_number else f"PRK-PROP-{n:08d}",
            nik=f"{n:016d}" if same_number else person.nik,
            name="Budi Santoso",
            email="budi@example.id",
            phone="+6281234567891",
            scheme="2024",
            accepted_at=datetime.now(UTC),
        )
        _, refused = self.attempt(lambda c: participant_service.enrol(c, ACTOR, HASHER, body))
        self.agree("enrol again", ParticipantAlreadyEnrolled, refused)

    @rule(person_id=people, freeze=st.booleans())
    def freeze_or_unfreeze(self, person_id: str, freeze: bool) -> None:
        person = self.persons[person_id]
        action = ParticipantAction.FREEZE if freeze else ParticipantAction.UNFREEZE
        source, target = ("active", "frozen") if freeze else ("frozen", "active")
        expected = None if person.status == source else InvalidStateTransition
        _, refused = self.attempt(
            lambda c: participant_service.change_status(c, ACTOR, person_id, action, "test", WALL_CLOCK)
        )
        self.agree(str(action), expected, refused)
        if expected is None:
            person.status = target
            person.audit_rows += 1

    # -- the sale

    def purchase_refusal(self, person: Person, key: str) -> type[DomainError] | None:
        course = self.courses[key]
        mine = [v for v in self.vouchers.values() if v.participant_id == person.id]
        if person.status == "frozen":
            return ParticipantFrozen
        if person.status == "revoked":
            return ParticipantRevoked
        if not mine and datetime.now(UTC) > first_purchase_deadline(person):
            return ParticipantRevoked
        if any(v.course_key == key and v.holds_the_course for v in mine):
            return CourseAlreadyPurchased
        if any(v.status in OPEN for v in mine):
            return ActiveTrainingExists
        if course.schedule_id is not None and self.seats_sold >= SCHEDULE_CAPACITY:
            return ScheduleFull
        if datetime.now(UTC).date() > balance_deadline(person.accepted_at):
            return InsufficientBalance  # lapsed, whether or not a sweep ran
        if course.price > person.balance:
            return InsufficientBalance
        return None

    @rule(target=codes, person_id=people, key=st.sampled_from(COURSE_KEYS))
    def purchase(self, person_id: str, key: str) -> Any:
        person = self.persons[person_id]
        course = self.courses[key]
        expected = self.purchase_refusal(person, key)
        body = PurchaseCreate(course_id=course.id, schedule_id=course.schedule_id)
        sold, refused = self.attempt(lambda c: voucher_service.purchase(c, ACTOR, CODES, person_id, body, WALL_CLOCK))
        self.agree(f"purchase {key}", expected, refused)
        if refused is not None:
            return multiple()
        assert (sold.status, sold.amount, sold.partner_id) == ("sold", course.price, course.partner_id)
        assert sold.code.startswith("SBX-")
        person.balance -= course.price
        if course.schedule_id is not None:
            self.seats_sold += 1
        self.vouchers[sold.code] = VoucherModel(
            sold.code, person_id, key, course.id, course.partner_id, course.schedule_id, course.price
        )
        return sold.code

    # -- the partner's side

    def stranger(self, voucher: VoucherModel) -> str:
        return next(p for p in self.partners.values() if p != voucher.partner_id)

    @rule(code=codes, learner=st.sampled_from(LEARNERS), as_owner=st.booleans())
    def redeem(self, code: str, learner: str, as_owner: bool) -> None:
        voucher = self.vouchers[code]
        person = self.persons[voucher.participant_id]
        partner_id = voucher.partner_id if as_owner else self.stranger(voucher)
        expected: type[DomainError] | None = None
        if not as_owner:
            expected = NotFound  # another partner's code does not exist for this one
        elif voucher.status in {"redeemed", "completed"}:
            expected = VoucherAlreadyRedeemed
        elif voucher.status == "expired":
            expected = VoucherExpired
        elif voucher.status == "cancelled":
            expected = VoucherCancelled
        elif voucher.status == "fraudulent":
            expected = VoucherFraudulent
        elif person.status == "frozen":
            expected = ParticipantFrozen
        elif person.status == "revoked":
            expected = ParticipantRevoked
        elif any(
            v.course_id == voucher.course_id and v.learner_ref == learner and v.enrollment_status != "cancelled"
            for v in self.vouchers.values()
        ):
            expected = LearnerAlreadyEnrolled
        enrollment, refused = self.attempt(
            lambda c: voucher_service.redeem(c, ACTOR, partner_id, code, learner, datetime.now(UTC))
        )
        self.agree(f"redeem a {voucher.status} voucher", expected, refused)
        if refused is None:
            assert enrollment.voucher_code == code
            voucher.status = "redeemed"
            voucher.learner_ref = learner
            voucher.enrollment_status = "active"
            voucher.enrollment_id = enrollment.id
            voucher.transitions += 1

    @rule(person_id=people, learner=st.sampled_from(LEARNERS))
    def redeem_current(self, person_id: str, learner: str) -> None:
        """The owning partner redeems the participant's sold voucher, if any (redemption is the path to settlement,
        so it gets a rule of its own besides redeeming any code)."""
        sold = [v.code for v in self.vouchers.values() if v.participant_id == person_id and v.status == "sold"]
        if sold:
            self.redeem(sold[0], learner, as_owner=True)

    @rule(code=codes, as_owner=st.booleans())
    def void(self, code: str, as_owner: bool) -> None:
        voucher = self.vouchers[code]
        partner_id = voucher.partner_id if as_owner else self.stranger(voucher)
        expected: type[DomainError] | None = None
        if not as_owner:
            expected = NotFound
        elif voucher.status != "sold":
            expected = VoucherVoidNotAllowed
        _, refused = self.attempt(lambda c: voucher_service.void(c, ACTOR, partner_id, code, datetime.now(UTC)))
        self.agree(f"void a {voucher.status} voucher", expected, refused)
        if refused is None:
            self.leave_sold(voucher, "cancelled")
            self.refund(voucher)

    @rule(code=codes)
    def complete(self, code: str) -> None:
        """The owning partner reports every module, the assessment and the completion of a self-paced redeemed
        voucher, at a `now` six days after the redemption (so the elapsed-days rule allows it)."""
        voucher = self.vouchers[code]
        if voucher.status != "redeemed" or voucher.schedule_id is not None or voucher.enrollment_id is None:
            return
        enrollment_id = voucher.enrollment_id

        async def report(c: Connection) -> Any:
            redeemed_at = await c.fetchval("SELECT redeemed_at FROM vouchers WHERE code = $1", code)
            now = redeemed_at + timedelta(days=6)
            for sequence in range(1, 6):
                await enrollment_service.record_attendance(
                    c, ACTOR, voucher.partner_id, enrollment_id, sequence, redeemed_at + timedelta(hours=sequence), now
                )
            await enrollment_service.record_assessment(
                c, ACTOR, voucher.partner_id, enrollment_id, 80, redeemed_at + timedelta(days=5), now
            )
            return await enrollment_service.complete(c, ACTOR, voucher.partner_id, enrollment_id, now, now)

        completed, refused = self.attempt(report)
        self.agree("complete a redeemed self-paced voucher", None, refused)
        assert completed.status == "completed"
        voucher.status = "completed"
        voucher.enrollment_status = "completed"

    # -- statements

    async def _first_open_period(self, conn: Connection) -> str:
        """The earliest period from this month on that nobody closed yet (all examples share the periods)."""
        period = period_of(datetime.now(UTC))
        # Periods from this month on are only closed in order, so they are closed up to the latest one.
        latest = await conn.fetchval("SELECT max(period) FROM statement_periods WHERE period >= $1", period)
        return period if latest is None else next_period(latest)

    @rule(how=st.sampled_from(["after_it_ended", "again", "before_it_ended"]))
    def close_period(self, how: str) -> None:
        """Close the earliest open period at an instant after it ended; closing a closed period again, or one that
        has not ended on the clock it is given, is refused."""
        period = self.harness.run(self._with_conn(self._first_open_period))
        if how == "again":
            period = period_of(datetime.now(UTC) - timedelta(days=400))  # closed here, or closed now and then again
            self.attempt(lambda c: statement_service.close_period(c, ACTOR, period, period_ends_at(period)))
        at = period_ends_at(period) + timedelta(minutes=1)
        if how == "before_it_ended":
            at = period_ends_at(period) - timedelta(minutes=1)
        _, refused = self.attempt(lambda c: statement_service.close_period(c, ACTOR, period, at))
        self.agree(f"close {period} {how}", None if how == "after_it_ended" else InvalidStateTransition, refused)

    @rule(pick=st.integers(min_value=0, max_value=20), same_reference=st.booleans())
    def mark_paid(self, pick: int, same_reference: bool) -> None:
        """Pay one of this example's statements: an open one is refused; a paid one again with its reference
        changes nothing, with another it is refused."""
        partner_ids = list(self.partners.values())
        ids = self.harness.run(
            self._with_conn(
                lambda c: c.fetch(
                    "SELECT id, status FROM statements WHERE partner_id = any($1::text[]) ORDER BY id", partner_ids
                )
            )
        )
        if not ids:
            return
        statement = ids[pick % len(ids)]
        known = self.paid.get(statement["id"])
        reference = known if known is not None and same_reference else f"TRF-{next(_serial)}"
        expected: type[DomainError] | None = None
        if statement["status"] == "open" or (known is not None and reference != known):
            expected = InvalidStateTransition
        _, refused = self.attempt(
            lambda c: statement_service.mark_paid(c, ACTOR, statement["id"], reference, datetime.now(UTC))
        )
        self.agree(f"mark a {statement['status']} statement paid", expected, refused)
        if refused is None:
            self.paid[statement["id"]] = reference

    # -- the programme's side

    @rule(code=codes)
    def cancel(self, code: str) -> None:
        voucher = self.vouchers[code]
        before = voucher.status
        expected = None if before in OPEN else InvalidStateTransition
        _, refused = self.attempt(
            lambda c: voucher_service.cancel(c, ACTOR, code, "course cancelled", datetime.now(UTC))
        )
        self.agree(f"cancel a {before} voucher", expected, refused)
        if refused is None:
            if before == "sold":
                self.leave_sold(voucher, "cancelled")
            else:
                voucher.status = "cancelled"
                voucher.enrollment_status = "cancelled"
                voucher.transitions += 1
            self.refund(voucher)

    @rule(code=codes)
    def flag_fraud(self, code: str) -> None:
        voucher = self.vouchers[code]
        before = voucher.status
        expected = None if before != "fraudulent" else InvalidStateTransition
        _, refused = self.attempt(lambda c: voucher_service.flag_fraud(c, ACTOR, code, "fraud", datetime.now(UTC)))
        self.agree(f"flag a {before} voucher fraudulent", expected, refused)
        if refused is None:
            if before == "sold":
                self.leave_sold(voucher, "fraudulent")
            else:
                voucher.status = "fraudulent"
                voucher.transitions += 1
                if voucher.enrollment_status == "active":
                    voucher.enrollment_status = "cancelled"  # a completed training stays a completed one
            # no refund: the price of a fraudulent purchase is not handed back to be spent again

    # -- time

    def model_sweep(self, now: datetime) -> None:
        """What a sweep at `now` does to this example's participants: revocation (and lapse), balance deadline."""
        for person in self.persons.values():
            has_vouchers = any(v.participant_id == person.id for v in self.vouchers.values())
            if person.status == "active" and not has_vouchers and now > first_purchase_deadline(person):
                person.status = "revoked"
                person.audit_rows += 1 + (person.balance > 0)  # revoked, and the balance lapsed (audited)
                person.balance = 0
            elif person.status != "revoked" and now.date() > balance_deadline(person.accepted_at):
                person.audit_rows += person.balance > 0  # the lapse is audited
                person.balance = 0

    def run_sweep(self, now: datetime) -> None:
        self.harness.run(sweep(self.harness.pool, now))
        self.model_sweep(now)

    @rule(code=codes)
    def expire(self, code: str) -> None:
        """Time passes for one voucher: its expiry instant moves into the past, then the worker sweeps."""
        voucher = self.vouchers[code]
        now = datetime.now(UTC)
        self.harness.run(
            self._with_conn(
                lambda c: c.execute(
                    "UPDATE vouchers SET expires_at = $2 WHERE code = $1", code, now - timedelta(minutes=1)
                )
            )
        )
        if voucher.status == "sold":
            self.leave_sold(voucher, "expired")
            self.refund(voucher)
        self.run_sweep(now)

    @rule()
    def sweep_only(self) -> None:
        self.run_sweep(datetime.now(UTC))

    # -- the invariants, after every step

    @invariant()
    def database_agrees(self) -> None:
        snapshot = self.harness.run(self._with_conn(self.snapshot))
        self.check_balances(snapshot)
        self.check_vouchers(snapshot)
        self.check_refunds(snapshot)
        self.check_settlement(snapshot)
        self.check_report()

    def check_report(self) -> None:
        """(6) the summary report over all time equals the books' own sums, per scheme (it reads them, but through
        its own queries, kinds and scheme lookups)."""

        async def read(conn: Connection) -> tuple[Any, list[asyncpg.Record], list[asyncpg.Record]]:
            report = await report_service.summary(
                conn, datetime(2000, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
            )
            ledger = await conn.fetch(REPORT_LEDGER)
            lines = await conn.fetch(REPORT_LINES)
            return report, list(ledger), list(lines)

        report, ledger, lines = self.harness.run(self._with_conn(read))
        by_scheme = {s.scheme: s for s in report.schemes}
        for row in ledger:
            money = by_scheme[row["scheme"]].money
            figure = {"grant": money.granted, "purchase": money.spent, "refund": money.refunded, "lapse": money.lapsed}
            assert figure[row["kind"]] == row["amount"], f"report {row['scheme']} {row['kind']}: {figure[row['kind']]}"
        assert report.total.money.spent == sum(r["amount"] for r in ledger if r["kind"] == "purchase")
        assert report.total.vouchers.sold.count == sum(r["n"] for r in ledger if r["kind"] == "purchase")
        owed = {"payable": report.total.vouchers.redeemed, "clawback": report.total.vouchers.clawed_back}
        for row in lines:
            assert (owed[row["kind"]].count, owed[row["kind"]].amount) == (row["n"], row["amount"]), row["kind"]

    async def snapshot(self, conn: Connection) -> Snapshot:
        pids, partner_ids, codes = list(self.persons), list(self.partners.values()), list(self.vouchers)
        lines = list(await conn.fetch(SNAPSHOT_SETTLEMENT, partner_ids, pids))
        return Snapshot(
            people={r["id"]: r for r in await conn.fetch(SNAPSHOT_PEOPLE, pids)},
            entries=list(await conn.fetch(SNAPSHOT_LEDGER, pids)),
            vouchers={r["code"]: r for r in await conn.fetch(SNAPSHOT_VOUCHERS, pids, partner_ids)},
            enrollments=grouped(await conn.fetch(SNAPSHOT_ENROLLMENTS, pids, partner_ids)),
            lines=grouped(lines),
            all_lines=lines,
            statements={r["id"]: r for r in await conn.fetch(SNAPSHOT_STATEMENTS, partner_ids)},
            audit_rows={r["entity_id"]: r["n"] for r in await conn.fetch(SNAPSHOT_AUDIT, pids + codes)},
            events={r["entity_id"]: r["n"] for r in await conn.fetch(SNAPSHOT_EVENTS, codes, partner_ids)},
            seats=await conn.fetchrow(SNAPSHOT_SEATS, self.courses["webinar"].schedule_id),
        )

    def check_balances(self, db: Snapshot) -> None:
        """(1) each balance is its ledger, never negative; (5) balance, status and audit trail as modelled."""
        assert set(db.people) == set(self.persons), "participants missing or unexpected"
        for pid, person in self.persons.items():
            row = db.people[pid]
            own = [e for e in db.entries if e["participant_id"] == pid]
            running = 0
            for entry in own:
                running += entry["signed_amount"]
                assert entry["balance_after"] == running, f"{pid}: balance_after drifts from the ledger at {entry}"
            assert row["balance"] == running, f"{pid}: balance {row['balance']} but the ledger sums to {running}"
            assert row["balance"] >= 0
            assert [(e["kind"], e["amount"]) for e in own if e["kind"] == "grant"] == [
                ("grant", SCHEME_BALANCE[person.scheme])
            ], f"{pid}: not exactly one grant of the scheme's balance"
            assert own[0]["kind"] == "grant", f"{pid}: money moved before the grant"
            assert row["balance"] == person.balance, f"{pid}: balance {row['balance']}, model {person.balance}"
            assert row["status"] == person.status, f"{pid}: status {row['status']}, model {person.status}"
            if person.status == "revoked":
                assert row["balance"] == 0, f"{pid}: revoked but still holds {row['balance']}"
            assert db.audit_rows.get(pid, 0) == person.audit_rows, f"{pid}: {db.audit_rows.get(pid, 0)} audit rows"

    def check_vouchers(self, db: Snapshot) -> None:
        """(2) one valid status per voucher, consistent with enrollments, timestamps and seats; (5) as modelled."""
        assert set(db.vouchers) == set(self.vouchers), "vouchers missing or unexpected (a refused sale left one?)"
        for code, model in self.vouchers.items():
            row = db.vouchers[code]
            status = row["status"]
            assert status in ALL_STATUSES
            assert status == model.status, f"{code}: status {status}, model {model.status}"
            assert (row["participant_id"], row["course_id"], row["partner_id"], row["amount"]) == (
                model.participant_id,
                model.course_id,
                model.partner_id,
                model.amount,
            )
            ever_redeemed = model.learner_ref is not None
            assert (row["redeemed_at"] is not None) == ever_redeemed, f"{code}: redeemed_at vs its history"
            assert (row["closed_at"] is not None) == (status in CLOSED), f"{code}: closed_at vs {status}"
            assert (row["refunded_at"] is not None) == model.refunded, f"{code}: refunded_at vs its history"
            own = db.enrollments.get(code, [])
            assert len(own) == (1 if ever_redeemed else 0), f"{code} ({status}): {len(own)} enrollments"
            if own:
                enrollment = own[0]
                assert (enrollment["participant_id"], enrollment["course_id"], enrollment["learner_ref"]) == (
                    model.participant_id,
                    model.course_id,
                    model.learner_ref,
                )
                assert enrollment["status"] == model.enrollment_status, f"{code}: enrollment {enrollment['status']}"
                if status == "redeemed":
                    assert enrollment["status"] == "active", f"{code}: redeemed, enrollment {enrollment['status']}"
                if status in {"cancelled", "fraudulent"}:
                    assert enrollment["status"] != "active", f"{code}: {status} but its enrollment is open"
            assert db.audit_rows.get(code, 0) == model.transitions, f"{code}: {db.audit_rows.get(code, 0)} audit rows"
            assert db.events.get(code, 0) == model.transitions, f"{code}: {db.events.get(code, 0)} events"
        assert not set(db.events) - set(self.vouchers), "events about vouchers that were never sold"
        for pid in self.persons:
            mine = [r for r in db.vouchers.values() if r["participant_id"] == pid]
            assert sum(r["status"] in OPEN for r in mine) <= 1, f"{pid}: more than one open training"
            held = [
                r["course_id"]
                for r in mine
                if r["status"] in {"sold", "redeemed", "completed"}
                or (r["status"] == "fraudulent" and r["refunded_at"] is None)
            ]
            assert len(held) == len(set(held)), f"{pid}: holds the same course twice"
        schedule_id = self.courses["webinar"].schedule_id
        taken = sum(
            1
            for r in db.vouchers.values()
            if r["schedule_id"] == schedule_id and (r["status"] == "sold" or r["redeemed_at"] is not None)
        )
        assert db.seats is not None
        assert db.seats["seats_sold"] == taken == self.seats_sold, f"{db.seats['seats_sold']} seats sold, {taken} taken"
        assert db.seats["seats_sold"] <= db.seats["capacity"]

    def check_refunds(self, db: Snapshot) -> None:
        """(3) one purchase entry per voucher at its price; its refunds sum to 0 or exactly that price, and are
        there iff it was expired or cancelled (a refunded voucher flagged fraudulent afterwards keeps its refund)."""
        purchases: dict[str, list[int]] = {}
        refunds: dict[str, list[int]] = {}
        for entry in db.entries:
            code = entry["voucher_code"]
            if entry["kind"] in {"grant", "lapse"}:
                assert code is None, f"a {entry['kind']} entry names voucher {code}"
                continue
            assert code in db.vouchers, f"a {entry['kind']} entry for unknown voucher {code}"
            assert db.vouchers[code]["participant_id"] == entry["participant_id"], f"{code}: someone else's money"
            (purchases if entry["kind"] == "purchase" else refunds).setdefault(code, []).append(entry["amount"])
        for code, model in self.vouchers.items():
            amount, status = db.vouchers[code]["amount"], db.vouchers[code]["status"]
            assert purchases.get(code) == [amount], f"{code}: purchase entries {purchases.get(code)}, price {amount}"
            refunded = sum(refunds.get(code, []))
            assert refunded in (0, amount), f"{code}: refunded {refunded} of {amount}"
            assert len(refunds.get(code, [])) <= 1, f"{code}: refunded more than once"
            assert (refunded > 0) == model.refunded, f"{code}: refunded {refunded}, model says {model.refunded}"
            if status in {"expired", "cancelled"}:
                assert refunded == amount, f"{code}: {status} without its refund"
            if status in {"sold", "redeemed", "completed"}:
                assert refunded == 0, f"{code}: {status} but refunded"

    def check_settlement(self, db: Snapshot) -> None:
        """(4) the reconciliation: lines per voucher as its history implies, per partner the sums agree."""
        assert not {c for c in db.lines if c is not None} - set(self.vouchers), "lines for vouchers never sold here"
        for code, model in self.vouchers.items():
            own = db.lines.get(code, [])
            ever_redeemed = model.learner_ref is not None
            taken_back = ever_redeemed and model.status in {"cancelled", "fraudulent"}
            kinds = [line["kind"] for line in own]
            assert kinds == ["payable"] * ever_redeemed + ["clawback"] * taken_back, f"{code} ({model.status}): {kinds}"
            if not own:
                continue
            payable = own[0]
            assert (payable["partner_id"], payable["amount"]) == (model.partner_id, model.amount)
            if model.payable_line is None:
                model.payable_line = dict(payable)
            assert dict(payable) == model.payable_line, f"{code}: its payable line changed"
            if taken_back:
                assert (own[1]["partner_id"], own[1]["amount"]) == (model.partner_id, -model.amount)
        for name, partner_id in self.partners.items():
            owed = sum(
                v.amount
                for v in self.vouchers.values()
                if v.partner_id == partner_id
                and v.learner_ref is not None
                and v.status not in {"cancelled", "fraudulent"}
            )
            mine = [s for s in db.statements.values() if s["partner_id"] == partner_id]
            payable = sum(s["payable"] for s in mine)
            clawed_back = sum(s["clawed_back"] for s in mine)
            assert payable - clawed_back == owed, f"partner {name}: payable {payable} - {clawed_back} != {owed}"
            assert sum(s["lines_sum"] for s in mine) == owed, f"partner {name}: nets do not add up to {owed}"
        for statement in db.statements.values():
            if statement["status"] == "open":
                assert statement["net"] is None
                continue
            frozen = (statement["net"], statement["line_count"], statement["total_payable"])
            assert frozen == (statement["lines_sum"], statement["lines"], statement["payable"]), statement
            assert statement["total_clawed_back"] == statement["clawed_back"], statement
            assert statement["net"] >= 0, f"{statement['id']}: closed with a negative net"
            assert statement["payment_reference"] == self.paid.get(statement["id"]), statement
        for line in db.all_lines:
            assert line["statement_id"] in db.statements, f"line {line['id']} on someone else's statement"
        # The ledger, by kind: every balance is grants - purchases + refunds - lapses.
        for pid in self.persons:
            sums = {"grant": 0, "purchase": 0, "refund": 0, "lapse": 0}
            for entry in db.entries:
                if entry["participant_id"] == pid:
                    sums[entry["kind"]] += entry["amount"]
            expected = sums["grant"] - sums["purchase"] + sums["refund"] - sums["lapse"]
            assert db.people[pid]["balance"] == expected, f"{pid}: balance is not grants - purchases + refunds - lapses"


# --- the tests ---------------------------------------------------------------------------------------------------


async def open_pool(db_url: str) -> asyncpg.Pool:
    return await asyncpg.create_pool(db_url, min_size=1, max_size=4)


EXAMPLES = int(os.environ.get("MONEY_PROPERTY_EXAMPLES", "100"))
STEPS = int(os.environ.get("MONEY_PROPERTY_STEPS", "50"))


def test_money_path_keeps_its_invariants(db_url: str) -> None:
    """Random sequences of money operations never break a ledger, voucher, refund or settlement invariant.

    A plain (sync) test: the machine drives its own event loop, so pytest-asyncio must not run one here.
    """
    with asyncio.Runner() as runner:
        pool = runner.run(open_pool(db_url))
        try:

            class Machine(MoneyMachine):
                harness = Harness(runner, pool)

            run_state_machine_as_test(
                Machine,
                settings=settings(
                    max_examples=EXAMPLES,
                    stateful_step_count=STEPS,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                ),
            )
        finally:
            runner.run(pool.close())
