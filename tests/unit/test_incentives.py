"""The post-training incentive: eligible once, after a certified completion and a review, at the scheme's amounts."""

from __future__ import annotations

import pytest

from domain.incentives import IncentiveDecision, eligibility
from domain.schemes import Scheme
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024, SCHEMES

BOTH_SCHEMES = pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=list(SCHEMES))


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        (SCHEME_2024, IncentiveDecision(scheme_code="2024", amount_per_payment=600_000, payments=1)),
        (SCHEME_2020, IncentiveDecision(scheme_code="2020", amount_per_payment=600_000, payments=4)),
    ],
    ids=["2024", "2020"],
)
def test_a_certified_completion_with_a_review_makes_the_participant_eligible(
    scheme: Scheme, expected: IncentiveDecision
) -> None:
    decision = eligibility(has_completed_with_certificate=True, has_review=True, already_eligible=False, scheme=scheme)
    assert decision == expected
    assert decision.total == scheme.total_incentive


def test_totals_are_the_schemes_rupiah() -> None:
    decisions = {
        code: eligibility(has_completed_with_certificate=True, has_review=True, already_eligible=False, scheme=scheme)
        for code, scheme in SCHEMES.items()
    }
    assert {code: d.total for code, d in decisions.items() if d is not None} == {"2024": 600_000, "2020": 2_400_000}


@BOTH_SCHEMES
@pytest.mark.parametrize(
    ("has_completed_with_certificate", "has_review"),
    [(False, False), (True, False), (False, True)],
    ids=["nothing", "certified-without-review", "review-without-certified-completion"],
)
def test_not_eligible_until_both_a_certified_completion_and_a_review(
    scheme: Scheme, has_completed_with_certificate: bool, has_review: bool
) -> None:
    decision = eligibility(
        has_completed_with_certificate=has_completed_with_certificate,
        has_review=has_review,
        already_eligible=False,
        scheme=scheme,
    )
    assert decision is None


@BOTH_SCHEMES
def test_eligibility_is_decided_exactly_once(scheme: Scheme) -> None:
    already_eligible = False
    events = []
    # The review arrives, then a second certified training completes, then the review is recorded again.
    for has_review in (False, True, True, True):
        decision = eligibility(
            has_completed_with_certificate=True,
            has_review=has_review,
            already_eligible=already_eligible,
            scheme=scheme,
        )
        if decision is not None:
            events.append(decision)
            already_eligible = True
    assert len(events) == 1
    assert events[0].payments == scheme.incentive_payments
