"""Participants: their lifecycle, what each state lets them do, and what partners may see of them.

A participant is `active` from acceptance; the programme may `freeze` them while it investigates
(no purchase, no redemption) and `unfreeze` them again; `revoke` ends participation (first-purchase
deadline missed, or fraud) and `complete` closes it normally. Revoked and completed are final.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from domain.errors import ActiveTrainingExists, InvalidStateTransition, ParticipantFrozen, ParticipantRevoked
from domain.schemes import Scheme


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    REVOKED = "revoked"
    COMPLETED = "completed"


class ParticipantAction(StrEnum):
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    REVOKE = "revoke"
    REVOKE_FOR_FRAUD = "revoke_for_fraud"
    COMPLETE = "complete"


PARTICIPANT_TRANSITIONS: Mapping[ParticipantAction, Mapping[ParticipantStatus, ParticipantStatus]] = MappingProxyType(
    {
        ParticipantAction.FREEZE: {ParticipantStatus.ACTIVE: ParticipantStatus.FROZEN},
        ParticipantAction.UNFREEZE: {ParticipantStatus.FROZEN: ParticipantStatus.ACTIVE},
        ParticipantAction.REVOKE: {ParticipantStatus.ACTIVE: ParticipantStatus.REVOKED},
        # Fraud is usually found while the participant is frozen under investigation.
        ParticipantAction.REVOKE_FOR_FRAUD: {
            ParticipantStatus.ACTIVE: ParticipantStatus.REVOKED,
            ParticipantStatus.FROZEN: ParticipantStatus.REVOKED,
        },
        ParticipantAction.COMPLETE: {ParticipantStatus.ACTIVE: ParticipantStatus.COMPLETED},
    }
)
"""For each action, the only states it may start from and the state it leads to; anything else is refused."""


def next_participant_status(status: ParticipantStatus, action: ParticipantAction) -> ParticipantStatus:
    """The state `action` leads to from `status`, or InvalidStateTransition if the table has no such move."""
    try:
        return PARTICIPANT_TRANSITIONS[action][status]
    except KeyError:
        raise InvalidStateTransition(f"Cannot {action} a participant that is {status}.") from None


def freeze(status: ParticipantStatus) -> ParticipantStatus:
    """Freeze an active participant for investigation."""
    return next_participant_status(status, ParticipantAction.FREEZE)


def unfreeze(status: ParticipantStatus) -> ParticipantStatus:
    """Return a frozen participant to active."""
    return next_participant_status(status, ParticipantAction.UNFREEZE)


def revoke(status: ParticipantStatus) -> ParticipantStatus:
    """End an active participant's participation because the first-purchase deadline was missed."""
    return next_participant_status(status, ParticipantAction.REVOKE)


def revoke_for_fraud(status: ParticipantStatus, *, has_open_training: bool) -> ParticipantStatus:
    """The programme ends an active or frozen participant's participation for fraud; the balance then lapses.

    Refused while a voucher is still sold or redeemed: the programme cancels or flags it first, so no refund can
    reach a revoked participant afterwards and a revoked participant always holds nothing.
    """
    target = next_participant_status(status, ParticipantAction.REVOKE_FOR_FRAUD)
    if has_open_training:
        raise ActiveTrainingExists(
            "The participant holds an open voucher; cancel it or flag it fraudulent before revoking."
        )
    return target


def complete(status: ParticipantStatus) -> ParticipantStatus:
    """Close an active participant's participation normally."""
    return next_participant_status(status, ParticipantAction.COMPLETE)


@dataclass(frozen=True, slots=True)
class CompletionFacts:
    """What decides whether a participant has completed the programme, read under the participant's lock."""

    status: ParticipantStatus
    accepted_at: datetime
    certified_trainings: int
    """Completed trainings whose voucher is completed and whose certificate is valid."""
    open_trainings: int
    """Vouchers sold or redeemed but not completed (at most one: trainings are sequential)."""
    balance: int


def programme_completed(facts: CompletionFacts, scheme: Scheme, now: datetime) -> bool:
    """True when an active participant has now completed the programme (and should move to `completed`).

    All of: at least the scheme's `completion_trainings` completed trainings with a valid certificate; no
    training in progress (a sold or redeemed voucher); and nothing left to spend: the balance is zero or the
    scheme's balance deadline has passed (the balance lapses). Whichever of these comes last completes the
    participant, and completion is final. A frozen participant is not completed while under investigation (it
    may be once unfrozen); a revoked or completed one never again.
    """
    if facts.status is not ParticipantStatus.ACTIVE:
        return False
    if facts.certified_trainings < scheme.completion_trainings or facts.open_trainings > 0:
        return False
    return facts.balance == 0 or scheme.balance_lapsed(facts.accepted_at, now)


def check_can_purchase(status: ParticipantStatus) -> None:
    """Pass only for an active participant: frozen, revoked and completed participants buy nothing."""
    if status is ParticipantStatus.FROZEN:
        raise ParticipantFrozen("The participant is frozen and cannot buy a course.")
    if status is ParticipantStatus.REVOKED:
        raise ParticipantRevoked("The participant's participation was revoked.")
    if status is ParticipantStatus.COMPLETED:
        # Not a partner-facing case (purchases come from the programme's channel); no dedicated code exists.
        raise InvalidStateTransition("The participant has completed the programme and cannot buy a course.")


def check_can_redeem(status: ParticipantStatus) -> None:
    """Pass unless the participant is frozen or revoked.

    A completed participant may still redeem a voucher bought before completion: the purchase was
    legitimate and the balance already spent.
    """
    if status is ParticipantStatus.FROZEN:
        raise ParticipantFrozen("The participant is frozen; the voucher cannot be redeemed now.")
    if status is ParticipantStatus.REVOKED:
        raise ParticipantRevoked("The participant's participation was revoked.")


def is_past_first_purchase_deadline(accepted_at: datetime, has_purchase: bool, scheme: Scheme, now: datetime) -> bool:
    """True when a participant without any purchase is later than the scheme's first-purchase deadline.

    The deadline instant itself still counts as in time; one who already bought is never past it.
    """
    return not has_purchase and now > scheme.first_purchase_deadline(accepted_at)


NAME_MASK = "***"


def mask_name(name: str) -> str:
    """The name a partner may see: the first word whole, every later word as its initial and a dot.

    Words are separated by any run of whitespace (leading, trailing and repeated spaces vanish).
    A one-word name keeps only its first character followed by "***", since showing it whole
    would show everything (many Indonesians have a single name). An empty or blank name gives "".
    Text is NFC-normalised first, so an initial is a whole accented letter, never a bare base letter.

        "Siti Nurhaliza"        -> "Siti N."
        "Muhammad Rizky Pratama" -> "Muhammad R. P."
        "Sukarno"               -> "S***"
    """
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + NAME_MASK
    return " ".join([words[0], *(word[0] + "." for word in words[1:])])


def mask_email(email: str) -> str:
    """The e-mail a partner may see: the local part as its first and last character around "***", the domain whole.

    A local part of one or two characters shows only its first character ("ab@x.id" -> "a***@x.id"),
    so the mask never reveals the whole local part. The split is at the last "@" (a quoted local part
    may contain one). Without any "@" the whole text is masked as a local part; an empty local part
    gives "***"; an empty or blank e-mail gives "".

        "budi.santoso@example.com" -> "b***o@example.com"
    """
    text = unicodedata.normalize("NFC", email).strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = text, ""
    if not local:
        masked = NAME_MASK
    elif len(local) <= 2:
        masked = local[0] + NAME_MASK
    else:
        masked = local[0] + NAME_MASK + local[-1]
    return masked + at + domain
