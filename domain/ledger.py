"""The training balance as an append-only ledger of integer-rupiah entries.

Sign convention: an entry's `amount` is always a positive integer; its `kind` alone decides the
direction. `grant` and `refund` credit the balance, `purchase` and `lapse` debit it. The balance is
the sum of credits minus the sum of debits, and the functions here never produce an entry that
would take it below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import FieldProblem, InsufficientBalance, ValidationFailed
from domain.schemes import Scheme


class LedgerEntryKind(StrEnum):
    GRANT = "grant"
    """The scheme's training balance, credited once at enrolment."""
    PURCHASE = "purchase"
    """A course price, debited when its voucher is sold."""
    REFUND = "refund"
    """A voucher's purchase price credited back (expired, voided or cancelled before completion)."""
    LAPSE = "lapse"
    """Whatever is left returned to the state: the balance deadline passed or participation was revoked."""


CREDIT_KINDS = frozenset({LedgerEntryKind.GRANT, LedgerEntryKind.REFUND})


def check_rupiah_amount(amount: object, field: str = "amount") -> int:
    """The amount itself if it is a positive integer number of rupiah; ValidationFailed otherwise.

    bool is an int subclass in Python and float is tempting; both are refused so a `True` or `1.5`
    can never become money.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        message = f"Must be an integer number of rupiah, not {type(amount).__name__}."
        raise ValidationFailed(f"Invalid {field}.", problems=(FieldProblem(field, message),))
    if amount <= 0:
        raise ValidationFailed(f"Invalid {field}.", problems=(FieldProblem(field, "Must be greater than zero."),))
    return amount


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One movement of a participant's balance; `amount` is positive and `kind` gives its direction."""

    kind: LedgerEntryKind
    amount: int
    voucher_code: str | None = None
    """The voucher a purchase or refund belongs to, so each refund can be traced to its purchase."""

    def __post_init__(self) -> None:
        check_rupiah_amount(self.amount)

    @property
    def signed_amount(self) -> int:
        """The entry's effect on the balance: positive for a credit, negative for a debit."""
        return self.amount if self.kind in CREDIT_KINDS else -self.amount


def balance_of(entries: Iterable[LedgerEntry]) -> int:
    """The balance the entries add up to: credits minus debits."""
    return sum(entry.signed_amount for entry in entries)


def grant_for(scheme: Scheme) -> LedgerEntry:
    """The enrolment credit: the scheme's whole training balance."""
    return LedgerEntry(LedgerEntryKind.GRANT, scheme.training_balance)


def debit_for_purchase(balance: int, price: int, voucher_code: str | None = None) -> LedgerEntry:
    """The debit for buying at `price`, or InsufficientBalance if that would take `balance` below zero.

    A price exactly equal to the balance is allowed and leaves zero.
    """
    check_rupiah_amount(price, "price")
    if price > balance:
        raise InsufficientBalance(f"The course costs Rp {price:,} but the balance is Rp {balance:,}.")
    return LedgerEntry(LedgerEntryKind.PURCHASE, price, voucher_code)


def refund_for(voucher_amount: int, voucher_code: str | None = None) -> LedgerEntry:
    """The credit returning a voucher's purchase price, whole: refunds are never partial."""
    return LedgerEntry(LedgerEntryKind.REFUND, voucher_amount, voucher_code)


def lapse_entry(balance: int) -> LedgerEntry | None:
    """The debit that returns the whole remaining balance to the state, or None when nothing is left."""
    if balance < 0:
        # Only a corrupted ledger gets here; refuse rather than "lapse" a negative amount.
        raise ValidationFailed("A balance cannot be negative.", problems=(FieldProblem("balance", "Below zero."),))
    if balance == 0:
        return None
    return LedgerEntry(LedgerEntryKind.LAPSE, balance)
