"""Partner and OAuth client bodies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import msgspec

from api.schemas.common import CreatedAt, Email, Name, PartnerId, RequestBody, UpdatedAt, described, literal_of
from api.settings import MAX_RATE_LIMIT_PER_MINUTE
from domain.clients import PARTNER_SCOPES, ClientStatus, Environment
from domain.partners import PartnerKind, PartnerStatus

if TYPE_CHECKING:
    Kind: TypeAlias = str
    EnvironmentName: TypeAlias = str
    PartnerStatusName: TypeAlias = str
    ClientStatusName: TypeAlias = str
    PartnerScope: TypeAlias = str
else:
    Kind = literal_of(PartnerKind)
    EnvironmentName = literal_of(Environment)
    PartnerStatusName = literal_of(PartnerStatus)
    ClientStatusName = literal_of(ClientStatus)
    PartnerScope = literal_of(PARTNER_SCOPES)  # a partner client never holds a `programme:*` scope

PARTNER_NAME = described("The partner's name as participants see it in the catalogue.")
PARTNER_KIND = described("`platform` (a digital platform that sells courses) or `provider` (a training provider).")
CONTACT_EMAIL = described("Where the programme writes to the partner about its account.")
PARTNER_STATUS = described("`active`, or `suspended` by the programme (its clients are refused meanwhile).")
CLIENT_NAME = described("A name for the client, to tell your integrations apart (e.g. `LMS production`).")
ENVIRONMENT = described(
    "`sandbox` (test data, test clock, `sandbox:simulate`) or `production`; a token only works in its environment."
)
SCOPES = described("The OAuth scopes the client may request, e.g. `vouchers:redeem`.")
CLIENT_STATUS = described("`active`, or `disabled` (final: its tokens and secret stop working).")

RateLimitPerMinute = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        le=MAX_RATE_LIMIT_PER_MINUTE,
        description="Requests per minute this client may make; null: the deployment's default.",
    ),
]


class PartnerCreate(RequestBody):
    name: Annotated[Name, PARTNER_NAME]
    kind: Annotated[Kind, PARTNER_KIND]
    contact_email: Annotated[Email, CONTACT_EMAIL]


class Partner(msgspec.Struct, kw_only=True):
    id: PartnerId
    name: Annotated[str, PARTNER_NAME]
    kind: Annotated[Kind, PARTNER_KIND]
    contact_email: Annotated[str, CONTACT_EMAIL]
    status: Annotated[PartnerStatusName, PARTNER_STATUS]
    created_at: CreatedAt
    updated_at: UpdatedAt


class ClientCreate(RequestBody):
    name: Annotated[Name, CLIENT_NAME]
    environment: Annotated[EnvironmentName, ENVIRONMENT]
    scopes: Annotated[
        list[PartnerScope],
        msgspec.Meta(min_length=1, max_length=32),
        described(
            "The OAuth scopes the client may request (partner scopes only; `sandbox:simulate` for sandbox "
            "clients only)."
        ),
    ]
    jwks: (
        Annotated[
            dict[str, Any],
            described("Your public keys (a JWKS) to authenticate with `private_key_jwt` instead of the secret."),
        ]
        | None
    ) = None
    rate_limit_per_minute: RateLimitPerMinute | None = None


class Client(msgspec.Struct, kw_only=True):
    """An OAuth 2.0 client (client credentials) of a partner or of the programme; its secret is never shown again."""

    client_id: Annotated[str, described("The client's id (`cli_…`): the OAuth `client_id`.")]
    partner_id: Annotated[PartnerId | None, described("The partner the client acts for; null for a programme client.")]
    name: Annotated[str, CLIENT_NAME]
    environment: Annotated[EnvironmentName, ENVIRONMENT]
    scopes: Annotated[list[str], SCOPES]
    status: Annotated[ClientStatusName, CLIENT_STATUS]
    token_endpoint_auth_methods: Annotated[
        list[str],
        described(
            "How the client may authenticate at the token endpoint: `client_secret_basic`, `client_secret_post`, "
            "and `private_key_jwt` when it has keys."
        ),
    ]
    rate_limit_per_minute: RateLimitPerMinute | None
    previous_secret_expires_at: Annotated[
        datetime | None,
        described("After a rotation, until when the previous secret still works; null otherwise. RFC 3339 in UTC."),
    ]
    created_at: CreatedAt
    updated_at: UpdatedAt


class ClientWithSecret(Client, kw_only=True):
    """A client as created or rotated: the only time its secret is ever shown."""

    client_secret: Annotated[str, described("The client secret: shown only now; we keep only its hash. Store it.")]


class StatusChange(RequestBody):
    """Optional reason for a suspension, reinstatement or disable."""

    reason: Annotated[str, msgspec.Meta(max_length=1000), described("Why (recorded in the audit trail).")] | None = None
