"""Webhook endpoint and delivery-log bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import RequestBody

EventType = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class WebhookEndpointCreate(RequestBody):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="Where events are POSTed.")]
    event_types: Annotated[
        list[EventType], msgspec.Meta(max_length=50, description="Event types to receive; empty or absent: all.")
    ] = msgspec.field(default_factory=list)


class WebhookEndpoint(msgspec.Struct, kw_only=True):
    id: str
    url: str
    event_types: list[str]
    status: str
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint, kw_only=True):
    secret: str


class WebhookAttempt(msgspec.Struct, kw_only=True):
    event_id: str
    event_type: str
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    next_attempt_at: datetime | None
