"""Partner and OAuth client bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import msgspec

from api.schemas.common import Email, Name, RequestBody, literal_of
from api.settings import MAX_RATE_LIMIT_PER_MINUTE
from domain.clients import Environment
from domain.partners import PartnerKind

if TYPE_CHECKING:
    Kind: TypeAlias = str
    EnvironmentName: TypeAlias = str
else:
    Kind = literal_of(PartnerKind)
    EnvironmentName = literal_of(Environment)

ScopeName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RateLimitPerMinute = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        le=MAX_RATE_LIMIT_PER_MINUTE,
        description="Requests per minute this client may make; null: the deployment's default.",
    ),
]


class PartnerCreate(RequestBody):
    name: Name
    kind: Kind
    contact_email: Email


class Partner(msgspec.Struct, kw_only=True):
    id: str
    name: str
    kind: str
    contact_email: str
    status: str
    created_at: datetime
    updated_at: datetime


class ClientCreate(RequestBody):
    name: Name
    environment: EnvironmentName
    scopes: Annotated[list[ScopeName], msgspec.Meta(min_length=1, max_length=32)]
    jwks: dict[str, Any] | None = None
    rate_limit_per_minute: RateLimitPerMinute | None = None


class Client(msgspec.Struct, kw_only=True):
    client_id: str
    partner_id: str | None
    name: str
    environment: str
    scopes: list[str]
    status: str
    token_endpoint_auth_methods: list[str]
    rate_limit_per_minute: RateLimitPerMinute | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ClientWithSecret(Client, kw_only=True):
    """A client as created or rotated: the only time its secret is ever shown."""

    client_secret: str


class StatusChange(RequestBody):
    """Optional reason for a suspension, reinstatement or disable."""

    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
