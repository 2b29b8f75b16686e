"""Certificate bodies: issue, revoke, and the public verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schemas.common import (
    VISIBLE,
    CourseId,
    EnrollmentId,
    Instant,
    ParticipantNameMasked,
    PartnerId,
    RequestBody,
    described,
)
from api.schemas.enrollments import (
    CERTIFICATE_ISSUED_AT,
    CERTIFICATE_NUMBER,
    CERTIFICATE_STATUS,
    VERIFICATION_URL,
    CertificateStatusName,
)

CERTIFICATE_ID = described("The certificate's id.")
CERTIFICATE_URL = described("Where the learner downloads the certificate on your platform (https); null if none.")
REVOKED_AT = described("When the certificate was revoked; null while it is valid. RFC 3339 in UTC.")


class CertificateIssue(RequestBody):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="Unique among your certificates.")]
    issued_at: Annotated[Instant, described("The date on the certificate; RFC 3339 with an offset.")]
    url: Annotated[str, msgspec.Meta(pattern=rf"^https://{VISIBLE}+$", max_length=2000), CERTIFICATE_URL] | None = None


class CertificateRevoke(RequestBody):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, description="Why it is revoked (audited).")]


class CertificateOut(msgspec.Struct, kw_only=True):
    id: Annotated[str, CERTIFICATE_ID]
    enrollment_id: Annotated[EnrollmentId, described("The completed enrollment the certificate is for.")]
    number: Annotated[str, CERTIFICATE_NUMBER]
    issued_at: Annotated[datetime, CERTIFICATE_ISSUED_AT]
    url: Annotated[str | None, CERTIFICATE_URL]
    status: Annotated[CertificateStatusName, CERTIFICATE_STATUS]
    revoked_at: Annotated[datetime | None, REVOKED_AT]
    credential: Annotated[
        str,
        described(
            "Compact JWS (ES256) of an Open Badges 3.0 credential naming the earner; verify it with "
            "/.well-known/jwks.json. Only you, the issuer, receive this form."
        ),
    ]
    verification_url: Annotated[str, VERIFICATION_URL]


class Verification(msgspec.Struct, kw_only=True):
    """What anyone holding a certificate's verification link learns: never more than the masked name."""

    certificate_id: Annotated[str, CERTIFICATE_ID]
    status: Annotated[CertificateStatusName, CERTIFICATE_STATUS]
    number: Annotated[str, described("The certificate number its issuer gave it.")]
    course_id: CourseId
    course_title: Annotated[str, described("The course's title.")]
    partner_id: Annotated[PartnerId, described("The partner that issued the certificate.")]
    partner_name: Annotated[str, described("The name of the partner that issued the certificate.")]
    participant_name_masked: ParticipantNameMasked
    completed_at: Annotated[datetime, described("When the participant completed the course; RFC 3339 in UTC.")]
    issued_at: Annotated[datetime, CERTIFICATE_ISSUED_AT]
    revoked_at: Annotated[datetime | None, REVOKED_AT]
    credential: Annotated[
        str,
        described(
            "Compact JWS of the public Open Badges 3.0 credential: the earner only as a salted `identityHash`; "
            "check its signature with the keys at `jwks_uri`."
        ),
    ]
    jwks_uri: Annotated[str, described("Where the public keys that verify `credential` are (a JWKS).")]


class IssuerProfile(msgspec.Struct, kw_only=True):
    """An Open Badges 3.0 issuer Profile: what a credential's `issuer.id` resolves to."""

    id: Annotated[str, described("The profile's URL: the `issuer.id` of the partner's credentials.")]
    type: Annotated[list[Literal["Profile"]], described('The Open Badges 3.0 type of this object: `["Profile"]`.')]
    name: Annotated[str, described("The partner's name.")]
