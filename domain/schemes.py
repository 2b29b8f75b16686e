"""Scheme parameters: a cohort's numbers, loaded from the `schemes` table, never constants in rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Scheme:
    """One cohort's parameters (PROGRAMME.md, "Schemes")."""

    code: str
    training_balance: int
    incentive_amount: int
    incentive_payments: int
    survey_incentive_amount: int
    survey_incentive_payments: int
    first_purchase_days: int
    balance_deadline_month: int
    balance_deadline_day: int
    voucher_validity_days: int
    min_course_hours: int
    max_daily_hours_online: int
    max_daily_hours_offline: int
    webinar_capacity: int
    redemption_window_before_minutes: int
    redemption_window_after_minutes: int
    completion_trainings: int
    """Completed trainings with a certificate that complete the programme (domain.participants.programme_completed)."""

    def max_daily_hours(self, course_format: str) -> int:
        """The most hours of a course of this format that one calendar day may hold."""
        return self.max_daily_hours_offline if course_format == "offline" else self.max_daily_hours_online

    def first_purchase_deadline(self, accepted_at: datetime) -> datetime:
        """The instant by which a participant accepted at `accepted_at` must have bought a first course."""
        return accepted_at + timedelta(days=self.first_purchase_days)

    def balance_deadline(self, accepted_at: datetime) -> date:
        """The day after which unspent balance lapses: the scheme's month/day in the cohort's year.

        Participants accepted after that day in a year belong to the next year's deadline.
        """
        deadline = date(accepted_at.year, self.balance_deadline_month, self.balance_deadline_day)
        if accepted_at.date() > deadline:
            deadline = date(accepted_at.year + 1, self.balance_deadline_month, self.balance_deadline_day)
        return deadline

    def balance_lapsed(self, accepted_at: datetime, now: datetime) -> bool:
        """True once the balance deadline of a participant accepted at `accepted_at` has passed at `now`."""
        return now.date() > self.balance_deadline(accepted_at)

    def voucher_expiry(self, sold_at: datetime) -> datetime:
        """When a voucher sold at `sold_at` expires if not redeemed."""
        return sold_at + timedelta(days=self.voucher_validity_days)

    @property
    def total_incentive(self) -> int:
        """The post-training incentive over all its payments, in rupiah."""
        return self.incentive_amount * self.incentive_payments
