"""Named domain errors, each carrying the stable machine `code` of API.md.

The domain raises these; `api/http/errors.py` maps every code to an HTTP status. A rule violation
never becomes a bare ValueError: a partner must be able to branch on the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field-level complaint, shown to the client as `{field, message}`."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every rule violation; `code` is stable and documented in API.md."""

    code: ClassVar[str] = "invalid_request"
    title: ClassVar[str] = "Invalid request"

    def __init__(self, detail: str, *, problems: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


class InvalidRequest(DomainError):
    code = "invalid_request"
    title = "Invalid request"


class ValidationFailed(DomainError):
    code = "validation_failed"
    title = "Validation failed"


class OutOfTimeOrder(ValidationFailed):
    """A well-formed time that contradicts what is stored (before the redemption, after now, before the session or
    the test clock): a conflict with the resource's state, not a malformed request. A ValidationFailed all the same,
    for its field-by-field `problems`."""

    code = "out_of_time_order"
    title = "Out of time order"


class EnvironmentNotServed(ValidationFailed):
    """A client or key for an environment this deployment does not serve (production on a sandbox): the request is
    well formed, the deployment's configuration refuses it."""

    code = "environment_not_served"
    title = "Environment not served here"


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    code = "precondition_required"
    title = "Precondition required"


class InvalidStateTransition(DomainError):
    code = "invalid_state_transition"
    title = "Invalid state transition"


class CourseRuleViolated(DomainError):
    code = "course_rule_violated"
    title = "Course rule violated"


class VoucherAlreadyRedeemed(DomainError):
    code = "voucher_already_redeemed"
    title = "Voucher already redeemed"


class VoucherExpired(DomainError):
    code = "voucher_expired"
    title = "Voucher expired"


class VoucherCancelled(DomainError):
    code = "voucher_cancelled"
    title = "Voucher cancelled"


class VoucherFraudulent(DomainError):
    """The programme flagged the voucher as fraudulent: it can never be redeemed (unlike a cancellation, the
    participant was not refunded and should contact the programme, not buy again)."""

    code = "voucher_fraudulent"
    title = "Voucher flagged as fraudulent"


class VoucherVoidNotAllowed(DomainError):
    code = "voucher_void_not_allowed"
    title = "Voucher cannot be voided"


class RedemptionWindowClosed(DomainError):
    code = "redemption_window_closed"
    title = "Redemption window closed"


class LearnerAlreadyEnrolled(DomainError):
    code = "learner_already_enrolled"
    title = "Learner already enrolled"


class ParticipantAlreadyEnrolled(DomainError):
    code = "participant_already_enrolled"
    title = "Participant already enrolled"


class ParticipantFrozen(DomainError):
    code = "participant_frozen"
    title = "Participant frozen"


class ParticipantRevoked(DomainError):
    code = "participant_revoked"
    title = "Participant revoked"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    title = "Insufficient balance"


class ActiveTrainingExists(DomainError):
    code = "active_training_exists"
    title = "Active training exists"


class CourseAlreadyPurchased(DomainError):
    code = "course_already_purchased"
    title = "Course already purchased"


class CourseNotOnSale(DomainError):
    code = "course_not_on_sale"
    title = "Course not on sale"


class ScheduleFull(DomainError):
    code = "schedule_full"
    title = "Schedule full"


class AttendanceIncomplete(DomainError):
    code = "attendance_incomplete"
    title = "Attendance incomplete"


class AssessmentMissing(DomainError):
    code = "assessment_missing"
    title = "Assessment missing"


class CompletionTooEarly(DomainError):
    code = "completion_too_early"
    title = "Completion too early"


class NotCompleted(DomainError):
    code = "not_completed"
    title = "Not completed"


class CertificateNumberTaken(DomainError):
    code = "certificate_number_taken"
    title = "Certificate number taken"


class PartnerSuspended(DomainError):
    code = "partner_suspended"
    title = "Partner suspended"


def all_domain_errors() -> list[type[DomainError]]:
    """Every concrete domain error class, so the error map can be checked for completeness."""
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
