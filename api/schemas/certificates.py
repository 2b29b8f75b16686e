"""Certificate bodies: issue, revoke, and the public verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.schemas.common import Instant, RequestBody


class CertificateIssue(RequestBody):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Unique among your certificates.")]
    issued_at: Instant
    url: Annotated[str, msgspec.Meta(pattern=r"^https://\S+$", max_length=2000)] | None = None


class CertificateRevoke(RequestBody):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class CertificateOut(msgspec.Struct, kw_only=True):
    id: str
    enrollment_id: str
    number: str
    issued_at: datetime
    url: str | None
    status: str
    revoked_at: datetime | None
    credential: str
    """Compact JWS (ES256) of an Open Badges 3.0 credential; verify it with /.well-known/jwks.json."""
    verification_url: str


class Verification(msgspec.Struct, kw_only=True):
    certificate_id: str
    status: str
    number: str
    course_id: str
    course_title: str
    partner_id: str
    partner_name: str
    participant_name_masked: str
    completed_at: datetime
    issued_at: datetime
    revoked_at: datetime | None
    credential: str
    """Compact JWS of the public Open Badges 3.0 credential: the earner only as a salted `identityHash`."""
    jwks_uri: str


class IssuerProfile(msgspec.Struct, kw_only=True):
    """An Open Badges 3.0 issuer Profile: what a credential's `issuer.id` resolves to."""

    id: str
    type: list[str]
    name: str
