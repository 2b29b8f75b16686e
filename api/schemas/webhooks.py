"""Webhook endpoint and delivery-log bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeAlias

import msgspec
from litestar.openapi.spec import OpenAPIFormat

from api.schemas.common import CreatedAt, RequestBody, UpdatedAt, described, literal_of
from domain.webhooks import EVENT_TYPES, MAX_URL_LENGTH, PING, EndpointStatus

if TYPE_CHECKING:
    EventTypeName: TypeAlias = str
    DeliveredEventTypeName: TypeAlias = str
    EndpointStatusName: TypeAlias = str
else:
    EventTypeName = literal_of(EVENT_TYPES)
    DeliveredEventTypeName = literal_of(EVENT_TYPES | {PING})
    EndpointStatusName = literal_of(EndpointStatus)

PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
HOST = r"(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+)"  # an IP literal, or a name
WEBHOOK_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://{HOST}(?::{PORT}?)?"
    r"(?:[/?](?:[A-Za-z0-9._~:/?@!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*)?$"
)
"""An absolute http(s) URI (RFC 3986 characters only) with a host, a valid port, no credentials and no fragment:
what `domain.webhooks.check_url` takes outside production (production also wants https; where the host resolves
is checked when the endpoint is created and at every delivery)."""
WebhookUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        pattern=WEBHOOK_URL_PATTERN,
        examples=["https://lms.example.id/hooks/prakerja"],
        extra_json_schema={"extra": {"format": OpenAPIFormat.URI}},
    ),
]
URL = described("Where events are POSTed (https; plain http only outside production).")
EVENT_TYPES_RECEIVED = described("The event types the endpoint receives; empty: all of them.")


class WebhookEndpointCreate(RequestBody):
    url: Annotated[WebhookUrl, URL]
    event_types: Annotated[
        list[EventTypeName], msgspec.Meta(max_length=50, description="Event types to receive; empty or absent: all.")
    ] = msgspec.field(default_factory=list)


class WebhookEndpoint(msgspec.Struct, kw_only=True):
    id: Annotated[str, described("The endpoint's id (`whe_…`).")]
    url: Annotated[str, URL]
    event_types: Annotated[list[EventTypeName], EVENT_TYPES_RECEIVED]
    status: Annotated[
        EndpointStatusName,
        described(
            "`enabled`; `failing` once a delivery failed for 24 hours (deliveries go on; a success enables it "
            "again); `disabled` (nothing is queued for it)."
        ),
    ]
    previous_secret_expires_at: Annotated[
        datetime | None,
        described("After a rotation, until when the previous secret also signs; null otherwise. RFC 3339 in UTC."),
    ]
    created_at: CreatedAt
    updated_at: UpdatedAt


class WebhookEndpointWithSecret(WebhookEndpoint, kw_only=True):
    secret: Annotated[
        str, described("The signing secret (`whsec_…`, Standard Webhooks): shown only now. Store it to verify.")
    ]


class WebhookAttempt(msgspec.Struct, kw_only=True):
    """One attempt to deliver an event to the endpoint, newest first."""

    event_id: Annotated[str, described("The event's id: the `webhook-id` header; deduplicate on it.")]
    event_type: Annotated[DeliveredEventTypeName, described("The event's type (`ping` for a test message).")]
    attempt: Annotated[int, described("Which attempt for this event, 1 for the first.")]
    attempted_at: Annotated[datetime, described("When the request was sent; RFC 3339 in UTC.")]
    status_code: Annotated[int | None, described("Your endpoint's HTTP status; null when no answer came.")]
    latency_ms: Annotated[int, described("Milliseconds until the answer (or the failure).")]
    error: Annotated[str | None, described("Why the attempt failed (connection, timeout, status); null on success.")]
    next_attempt_at: Annotated[
        datetime | None, described("When the next attempt is due; null after a success or the last try. UTC.")
    ]
