"""The post-training incentive: who becomes eligible, when, and for how much (PROGRAMME.md, "Learning progress").

Eligibility is an event, not a payment: this module decides that a participant has just become eligible and
for what schedule of payments; paying is the programme's business outside this system.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.schemes import Scheme


@dataclass(frozen=True, slots=True)
class IncentiveDecision:
    """A participant has just become eligible: `payments` payments of `amount_per_payment` rupiah each."""

    scheme_code: str
    amount_per_payment: int
    payments: int

    @property
    def total(self) -> int:
        """The whole incentive over all its payments, in rupiah."""
        return self.amount_per_payment * self.payments


def eligibility(
    *,
    has_completed_with_certificate: bool,
    has_review: bool,
    already_eligible: bool,
    scheme: Scheme,
) -> IncentiveDecision | None:
    """The incentive a participant becomes eligible for now, or None if nothing changes.

    Eligible once a completed enrollment with a certificate and the programme's record of their review both
    exist, whichever came last, and only once: a participant already eligible (from an earlier training of
    the same participation) gets None, so the caller records the event exactly once. The amounts are the
    participant's scheme's (2024: Rp 600,000 once; 2020: Rp 600,000 four times).
    """
    if already_eligible or not (has_completed_with_certificate and has_review):
        return None
    return IncentiveDecision(
        scheme_code=scheme.code,
        amount_per_payment=scheme.incentive_amount,
        payments=scheme.incentive_payments,
    )
