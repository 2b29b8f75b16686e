"""Webhook rules: where we may send, how a message is signed, when a failed delivery is tried again.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of
random bytes; the signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header carries one
`v1,<base64 HMAC-SHA256>` per secret currently signing, separated by spaces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import urlsplit

from domain.errors import FieldProblem, ValidationFailed

# What an endpoint can subscribe to (`event_types`; empty means all of them).
EVENT_TYPES = frozenset(
    {
        "course.approved",
        "course.rejected",
        "course.suspended",
        "course.reinstated",
        "voucher.sold",
        "voucher.redeemed",
        "voucher.voided",
        "voucher.expired",
        "voucher.cancelled",
        "voucher.fraud_flagged",
        "enrollment.completed",
        "certificate.issued",
        "certificate.revoked",
        "participant.completed",
        "statement.closed",
        "statement.paid",
    }
)
PING = "ping"
"""The event type of the test message an endpoint can be sent; never in the feed, never subscribed to."""
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
MAX_URL_LENGTH = 2000

# Cloud metadata services answer on link-local (169.254.169.254, fd00:ec2::254) and a few well-known
# addresses; everything that is not globally routable is refused as well.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    """Deliveries are sent."""
    FAILING = "failing"
    """A delivery failed for the whole retry window; deliveries are still tried and a success enables it again."""
    DISABLED = "disabled"
    """No event is queued for it."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_…` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` sent as message `message_id` at `timestamp` (Unix seconds)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_signing: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: a signature per secret (the new one first during a rotation)."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_signing)


def check_url(url: str, *, production: bool) -> None:
    """Refuse (422) a URL we would never deliver to: not http(s), credentials in it, or plain http in production.

    Where it resolves is checked separately, at creation and again at every connection (DNS can change).
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValidationFailed(
            "The webhook URL is not a valid URL.", problems=(FieldProblem("url", "not a valid URL"),)
        ) from None
    problem = None
    if len(url) > MAX_URL_LENGTH:
        problem = f"at most {MAX_URL_LENGTH} characters"
    elif parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "must be an absolute http(s) URL"
    elif production and parts.scheme != "https":
        problem = "must use https"
    elif parts.username or parts.password:
        problem = "must not carry credentials"
    elif parts.fragment:
        problem = "must not carry a fragment"
    if problem is not None:
        raise ValidationFailed(f"The webhook URL {problem}.", problems=(FieldProblem("url", problem),))


def check_event_types(event_types: list[str]) -> None:
    """Refuse (422) a subscription to an event type that does not exist (a typo would silently deliver nothing)."""
    unknown = sorted(set(event_types) - EVENT_TYPES)
    if unknown:
        problem = f"unknown event types: {', '.join(unknown)}"
        raise ValidationFailed(
            f"The webhook endpoint lists {problem}.", problems=(FieldProblem("event_types", problem),)
        )


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def forbidden_address(address: str) -> bool:
    """True for addresses a production deployment never connects to: private, loopback, link-local, metadata…"""
    ip = _ip(address)
    return ip in METADATA_ADDRESSES or not ip.is_global or ip.is_multicast


def metadata_address(address: str) -> bool:
    """True for a cloud metadata service: never a webhook destination, not even in development or the sandbox,
    where private addresses are otherwise allowed (a partner's laptop), since it hands out the host's credentials."""
    return _ip(address) in METADATA_ADDRESSES


def retry_delay(attempt: int, *, base_seconds: float, cap_seconds: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): doubling from `base_seconds`, capped,
    then scaled by `jitter` in [0.75, 1] so receivers that failed together are not retried together.

    While the cap is not reached the delay grows strictly: the longest wait after attempt n is base·2ⁿ⁻¹,
    the shortest after n+1 is 0.75·base·2ⁿ.
    """
    if not 0.75 <= jitter <= 1.0:
        raise ValueError("jitter must be within [0.75, 1]")
    exponential = base_seconds * 2.0 ** min(attempt - 1, 62)
    return min(exponential, cap_seconds) * jitter


def gives_up(age_seconds: float, *, retry_window_seconds: float) -> bool:
    """True once a delivery has failed for the whole retry window (then it stops and the endpoint is `failing`)."""
    return age_seconds >= retry_window_seconds
