"""Partners: onboarding facts and the suspend/reinstate state machine."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import InvalidStateTransition


class PartnerKind(StrEnum):
    PLATFORM = "platform"
    PROVIDER = "provider"


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


_TRANSITIONS: dict[str, tuple[PartnerStatus, PartnerStatus]] = {
    "suspend": (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED),
    "reinstate": (PartnerStatus.SUSPENDED, PartnerStatus.ACTIVE),
}


def transition(current: PartnerStatus, action: str) -> PartnerStatus:
    """The partner's status after `action`, or InvalidStateTransition when it does not apply."""
    source, target = _TRANSITIONS[action]
    if current != source:
        raise InvalidStateTransition(f"Cannot {action} a partner that is {current}; only a {source} partner can be.")
    return target
