"""The two schemes of PROGRAMME.md ("2024" and "2020"), built once for unit tests.

Rules read their numbers from a Scheme; tests import these instead of repeating the numbers.
"""

from __future__ import annotations

from domain.schemes import Scheme

SCHEME_2024 = Scheme(
    code="2024",
    training_balance=3_500_000,
    incentive_amount=600_000,
    incentive_payments=1,
    survey_incentive_amount=50_000,
    survey_incentive_payments=2,
    first_purchase_days=15,
    balance_deadline_month=12,
    balance_deadline_day=15,
    voucher_validity_days=30,
    min_course_hours=15,
    max_daily_hours_online=3,
    max_daily_hours_offline=8,
    webinar_capacity=150,
    redemption_window_before_minutes=60,
    redemption_window_after_minutes=60,
    completion_trainings=1,
)

SCHEME_2020 = Scheme(
    code="2020",
    training_balance=1_000_000,
    incentive_amount=600_000,
    incentive_payments=4,
    survey_incentive_amount=50_000,
    survey_incentive_payments=2,
    first_purchase_days=30,
    balance_deadline_month=12,
    balance_deadline_day=15,
    voucher_validity_days=30,
    min_course_hours=15,
    max_daily_hours_online=3,
    max_daily_hours_offline=8,
    webinar_capacity=150,
    redemption_window_before_minutes=60,
    redemption_window_after_minutes=60,
    completion_trainings=1,
)

SCHEMES: dict[str, Scheme] = {"2024": SCHEME_2024, "2020": SCHEME_2020}
