"""Participant lifecycle, what each state allows, the first-purchase deadline, and personal-data masks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import (
    ActiveTrainingExists,
    DomainError,
    InvalidStateTransition,
    ParticipantFrozen,
    ParticipantRevoked,
)
from domain.participants import (
    CompletionFacts,
    ParticipantAction,
    ParticipantStatus,
    check_can_purchase,
    check_can_redeem,
    complete,
    freeze,
    is_past_first_purchase_deadline,
    mask_email,
    mask_name,
    next_participant_status,
    programme_completed,
    revoke,
    revoke_for_fraud,
    unfreeze,
)
from domain.schemes import Scheme
from tests.unit.scheme_fixtures import SCHEME_2020, SCHEME_2024

ACTIVE, FROZEN, REVOKED, COMPLETED = (
    ParticipantStatus.ACTIVE,
    ParticipantStatus.FROZEN,
    ParticipantStatus.REVOKED,
    ParticipantStatus.COMPLETED,
)

# Written out independently of the module's table: the only allowed moves.
ALLOWED = {
    (ParticipantAction.FREEZE, ACTIVE): FROZEN,
    (ParticipantAction.UNFREEZE, FROZEN): ACTIVE,
    (ParticipantAction.REVOKE, ACTIVE): REVOKED,
    (ParticipantAction.REVOKE_FOR_FRAUD, ACTIVE): REVOKED,
    (ParticipantAction.REVOKE_FOR_FRAUD, FROZEN): REVOKED,
    (ParticipantAction.COMPLETE, ACTIVE): COMPLETED,
}


@pytest.mark.parametrize("action", list(ParticipantAction))
@pytest.mark.parametrize("status", list(ParticipantStatus))
def test_every_status_and_action_follows_the_table(status: ParticipantStatus, action: ParticipantAction) -> None:
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(InvalidStateTransition) as refused:
            next_participant_status(status, action)
        assert refused.value.code == "invalid_state_transition"
    else:
        assert next_participant_status(status, action) is expected


def test_named_transitions_match_their_actions() -> None:
    assert freeze(ACTIVE) is FROZEN
    assert unfreeze(FROZEN) is ACTIVE
    assert revoke(ACTIVE) is REVOKED
    assert complete(ACTIVE) is COMPLETED
    with pytest.raises(InvalidStateTransition):
        freeze(FROZEN)
    with pytest.raises(InvalidStateTransition):
        unfreeze(ACTIVE)
    with pytest.raises(InvalidStateTransition):
        revoke(COMPLETED)
    with pytest.raises(InvalidStateTransition):
        complete(REVOKED)


@pytest.mark.parametrize(
    ("status", "purchase_error", "redeem_error"),
    [
        (ACTIVE, None, None),
        (FROZEN, ParticipantFrozen, ParticipantFrozen),
        (REVOKED, ParticipantRevoked, ParticipantRevoked),
        (COMPLETED, InvalidStateTransition, None),
    ],
)
def test_what_each_status_may_do(
    status: ParticipantStatus, purchase_error: type[DomainError] | None, redeem_error: type[DomainError] | None
) -> None:
    for check, error in ((check_can_purchase, purchase_error), (check_can_redeem, redeem_error)):
        if error is None:
            check(status)
        else:
            with pytest.raises(error):
                check(status)


ACCEPTED_AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(("scheme", "days"), [(SCHEME_2024, 15), (SCHEME_2020, 30)])
def test_first_purchase_deadline_is_inclusive_and_per_scheme(scheme: Scheme, days: int) -> None:
    deadline = ACCEPTED_AT + timedelta(days=days)
    assert not is_past_first_purchase_deadline(ACCEPTED_AT, False, scheme, ACCEPTED_AT)
    assert not is_past_first_purchase_deadline(ACCEPTED_AT, False, scheme, deadline)
    assert is_past_first_purchase_deadline(ACCEPTED_AT, False, scheme, deadline + timedelta(seconds=1))
    # Having bought once, the deadline no longer matters.
    assert not is_past_first_purchase_deadline(ACCEPTED_AT, True, scheme, deadline + timedelta(days=365))


def test_schemes_differ_on_day_sixteen() -> None:
    day_sixteen = ACCEPTED_AT + timedelta(days=16)
    assert is_past_first_purchase_deadline(ACCEPTED_AT, False, SCHEME_2024, day_sixteen)
    assert not is_past_first_purchase_deadline(ACCEPTED_AT, False, SCHEME_2020, day_sixteen)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Siti Nurhaliza", "Siti N."),
        ("Muhammad Rizky Pratama", "Muhammad R. P."),
        ("Sukarno", "S***"),
        ("A", "A***"),
        ("A B", "A B."),
        ("", ""),
        ("   ", ""),
        ("  Siti   Nurhaliza  ", "Siti N."),
        ("Siti\tNurhaliza\n", "Siti N."),
        ("Ni Luh Putu Ayu", "Ni L. P. A."),
        ("Élodie Ñúñez", "Élodie Ñ."),
        ("E\u0301lodie N\u0303u\u0301n\u0303ez", "Élodie Ñ."),  # decomposed: initial keeps its accent
        ("Ömer", "Ö***"),
        ("李 小龙", "李 小."),
        ("Abdul-Rahman Wahid", "Abdul-Rahman W."),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("budi.santoso@example.com", "b***o@example.com"),
        ("abc@x.id", "a***c@x.id"),
        ("ab@x.id", "a***@x.id"),
        ("a@x.id", "a***@x.id"),
        ("@x.id", "***@x.id"),
        ("", ""),
        ("   ", ""),
        ("  budi@example.com ", "b***i@example.com"),
        ('"a@b"@example.com', '"***"@example.com'),
        ("no-at-sign", "n***n"),
        ("dédé@contoh.co.id", "d***é@contoh.co.id"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize("email", ["budi.santoso@example.com", "ab@x.id", "siti@contoh.id"])
def test_masked_email_never_shows_the_whole_local_part(email: str) -> None:
    local = email.split("@")[0]
    assert local not in mask_email(email).split("@")[0]


def test_revoking_for_fraud_needs_no_open_training() -> None:
    assert revoke_for_fraud(ACTIVE, has_open_training=False) is REVOKED
    assert revoke_for_fraud(FROZEN, has_open_training=False) is REVOKED
    with pytest.raises(ActiveTrainingExists, match="open voucher"):
        revoke_for_fraud(FROZEN, has_open_training=True)
    for status in (REVOKED, COMPLETED):
        with pytest.raises(InvalidStateTransition):
            revoke_for_fraud(status, has_open_training=False)


# Completing the programme: accepted in March 2024, so the balance deadline is 15 December 2024.
ACCEPTED = datetime(2024, 3, 1, 9, tzinfo=UTC)
BEFORE_DEADLINE = datetime(2024, 12, 15, 23, 0, tzinfo=UTC)  # the deadline day itself is still in time
AFTER_DEADLINE = datetime(2024, 12, 16, 0, 30, tzinfo=UTC)


def finished(**changes: object) -> CompletionFacts:
    """A participant who meets every condition: one certified training, nothing open, balance spent."""
    facts: dict[str, object] = {
        "status": ACTIVE,
        "accepted_at": ACCEPTED,
        "certified_trainings": 1,
        "open_trainings": 0,
        "balance": 0,
    }
    facts.update(changes)
    return CompletionFacts(**facts)  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", [SCHEME_2024, SCHEME_2020], ids=lambda s: s.code)
def test_one_certified_training_with_the_balance_spent_completes_either_scheme(scheme: Scheme) -> None:
    assert scheme.completion_trainings == 1
    assert programme_completed(finished(), scheme, BEFORE_DEADLINE)


@pytest.mark.parametrize("scheme", [SCHEME_2024, SCHEME_2020], ids=lambda s: s.code)
def test_balance_left_completes_only_after_the_balance_deadline(scheme: Scheme) -> None:
    assert not programme_completed(finished(balance=500_000), scheme, BEFORE_DEADLINE)
    assert programme_completed(finished(balance=500_000), scheme, AFTER_DEADLINE)


@pytest.mark.parametrize("now", [BEFORE_DEADLINE, AFTER_DEADLINE])
def test_no_completion_without_a_certified_training(now: datetime) -> None:
    assert not programme_completed(finished(certified_trainings=0), SCHEME_2024, now)


@pytest.mark.parametrize("now", [BEFORE_DEADLINE, AFTER_DEADLINE])
def test_no_completion_while_a_training_is_in_progress(now: datetime) -> None:
    assert not programme_completed(finished(certified_trainings=2, open_trainings=1), SCHEME_2024, now)


def test_a_scheme_asking_for_more_trainings_waits_for_them() -> None:
    scheme = dataclasses.replace(SCHEME_2024, code="2031", completion_trainings=2)
    assert not programme_completed(finished(certified_trainings=1), scheme, AFTER_DEADLINE)
    assert programme_completed(finished(certified_trainings=2), scheme, BEFORE_DEADLINE)


@pytest.mark.parametrize("status", [FROZEN, REVOKED, COMPLETED])
def test_only_an_active_participant_becomes_completed(status: ParticipantStatus) -> None:
    assert not programme_completed(finished(status=status), SCHEME_2024, AFTER_DEADLINE)


def test_the_balance_deadline_passes_the_day_after_it() -> None:
    assert not SCHEME_2024.balance_lapsed(ACCEPTED, BEFORE_DEADLINE)
    assert SCHEME_2024.balance_lapsed(ACCEPTED, AFTER_DEADLINE)
