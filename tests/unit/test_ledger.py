"""The balance ledger: sign convention, integer rupiah only, no overdraft, whole refunds, lapse to zero."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InsufficientBalance, ValidationFailed
from domain.ledger import (
    LedgerEntry,
    LedgerEntryKind,
    balance_of,
    check_rupiah_amount,
    debit_for_purchase,
    grant_for,
    lapse_entry,
    refund_for,
)
from domain.schemes import Scheme
from tests.unit.scheme_fixtures import SCHEMES

SCHEME_LIST = list(SCHEMES.values())


@pytest.mark.parametrize(
    ("kind", "signed"),
    [
        (LedgerEntryKind.GRANT, 1_000),
        (LedgerEntryKind.REFUND, 1_000),
        (LedgerEntryKind.PURCHASE, -1_000),
        (LedgerEntryKind.LAPSE, -1_000),
    ],
)
def test_kind_decides_the_direction_of_a_positive_amount(kind: LedgerEntryKind, signed: int) -> None:
    entry = LedgerEntry(kind, 1_000)
    assert entry.amount == 1_000
    assert entry.signed_amount == signed
    assert balance_of([entry]) == signed


def test_balance_is_credits_minus_debits() -> None:
    entries = [
        LedgerEntry(LedgerEntryKind.GRANT, 3_500_000),
        LedgerEntry(LedgerEntryKind.PURCHASE, 1_500_000, "A"),
        LedgerEntry(LedgerEntryKind.PURCHASE, 500_000, "B"),
        LedgerEntry(LedgerEntryKind.REFUND, 500_000, "B"),
    ]
    assert balance_of(entries) == 2_000_000
    assert balance_of([]) == 0


@pytest.mark.parametrize("amount", [0, -1, -3_500_000, True, False, 1.0, 1.5, "100", None])
def test_entries_refuse_anything_but_positive_integer_rupiah(amount: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        LedgerEntry(LedgerEntryKind.GRANT, amount)  # type: ignore[arg-type]
    assert refused.value.problems[0].field == "amount"


def test_smallest_amount_is_one_rupiah() -> None:
    assert check_rupiah_amount(1) == 1
    assert LedgerEntry(LedgerEntryKind.PURCHASE, 1).signed_amount == -1


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_grant_is_the_schemes_training_balance(scheme: Scheme) -> None:
    grant = grant_for(scheme)
    assert grant.kind is LedgerEntryKind.GRANT
    assert balance_of([grant]) == scheme.training_balance


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
def test_price_equal_to_balance_is_allowed_and_one_more_is_not(scheme: Scheme) -> None:
    balance = scheme.training_balance
    debit = debit_for_purchase(balance, balance, "CODE")
    assert debit == LedgerEntry(LedgerEntryKind.PURCHASE, balance, "CODE")
    assert balance_of([grant_for(scheme), debit]) == 0
    with pytest.raises(InsufficientBalance) as refused:
        debit_for_purchase(balance, balance + 1)
    assert refused.value.code == "insufficient_balance"


def test_nothing_can_be_bought_with_an_empty_balance() -> None:
    with pytest.raises(InsufficientBalance):
        debit_for_purchase(0, 1)


@pytest.mark.parametrize("price", [0, -100, True, 10.0])
def test_purchase_price_must_be_positive_integer_rupiah(price: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        debit_for_purchase(3_500_000, price)  # type: ignore[arg-type]
    assert refused.value.problems[0].field == "price"


def test_refund_returns_the_whole_purchase_price() -> None:
    refund = refund_for(1_250_000, "CODE")
    assert refund == LedgerEntry(LedgerEntryKind.REFUND, 1_250_000, "CODE")
    with pytest.raises(ValidationFailed):
        refund_for(0)


def test_lapse_takes_the_balance_to_zero_and_nothing_when_empty() -> None:
    assert lapse_entry(0) is None
    lapse = lapse_entry(700_000)
    assert lapse == LedgerEntry(LedgerEntryKind.LAPSE, 700_000)
    assert balance_of([LedgerEntry(LedgerEntryKind.GRANT, 700_000), lapse]) == 0
    with pytest.raises(ValidationFailed):
        lapse_entry(-1)


@dataclass
class LedgerModel:
    """A participant's ledger driven only through the domain functions, with its open purchases."""

    entries: list[LedgerEntry]
    open_purchases: dict[str, int] = field(default_factory=dict)
    sold: int = 0


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("purchase"), st.integers(min_value=1, max_value=4_000_000)),
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=1_000)),
        st.tuples(st.just("lapse"), st.just(0)),
    ),
    max_size=40,
)


@pytest.mark.parametrize("scheme", SCHEME_LIST, ids=lambda scheme: scheme.code)
@given(operations=OPERATIONS)
def test_random_histories_keep_the_ledger_sound(scheme: Scheme, operations: list[tuple[str, int]]) -> None:
    ledger = LedgerModel(entries=[grant_for(scheme)])
    for operation, number in operations:
        balance = balance_of(ledger.entries)
        if operation == "purchase":
            try:
                entry = debit_for_purchase(balance, number, f"V{ledger.sold}")
            except InsufficientBalance:
                assert number > balance
                continue
            ledger.open_purchases[f"V{ledger.sold}"] = number
            ledger.sold += 1
            ledger.entries.append(entry)
        elif operation == "refund" and ledger.open_purchases:
            code = sorted(ledger.open_purchases)[number % len(ledger.open_purchases)]
            ledger.entries.append(refund_for(ledger.open_purchases.pop(code), code))
        elif operation == "lapse":
            lapse = lapse_entry(balance)
            if lapse is not None:
                ledger.entries.append(lapse)
            assert balance_of(ledger.entries) == 0

        balance = balance_of(ledger.entries)
        assert balance == sum(entry.signed_amount for entry in ledger.entries)
        assert balance >= 0
        assert all(type(entry.amount) is int and entry.amount > 0 for entry in ledger.entries)

    purchases = {e.voucher_code: e.amount for e in ledger.entries if e.kind is LedgerEntryKind.PURCHASE}
    refunds = [e for e in ledger.entries if e.kind is LedgerEntryKind.REFUND]
    assert len({refund.voucher_code for refund in refunds}) == len(refunds)  # at most one refund per voucher
    for refund in refunds:
        assert refund.amount == purchases[refund.voucher_code]
