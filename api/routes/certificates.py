"""Certificates: public verification (by id, or by the partner and the printed number), the issuer profile a
credential names, and the issuing partner's own full view."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from api.auth.access import Principal, requires
from api.auth.signing_keys import SigningKeyRing
from api.db.replicas import ReadRouter
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_CERTIFICATES, PUBLIC_CERTIFICATES
from api.schemas.certificates import CertificateOut, IssuerProfile, Verification
from api.services import certificates
from api.settings import Settings

TAGS = [PUBLIC_CERTIFICATES]


@get(
    "/v1/certificates/{certificate_id:str}/verification",
    operation_id="verifyCertificate",
    tags=TAGS,
    summary="Verify a certificate",
)
async def verify(
    certificate_id: str, reads: ReadRouter, signing_keys: SigningKeyRing, settings: Settings
) -> Verification:
    """Whether the certificate is valid or revoked, the course, the partner, the completion date, the
    participant's masked name, and the public signed credential (a JWS anyone can verify offline with
    `jwks_uri`). The credential names the earner only by an Open Badges 3.0 salted `identityHash`
    (`hashed: true`, with its `salt`): whoever knows the name can check it, nobody else learns it."""
    return await reads.run(
        lambda conn: certificates.verification(conn, signing_keys, settings.public_url, certificate_id)
    )


@get(
    "/v1/partners/{partner_id:str}/certificates/verification",
    operation_id="verifyCertificateByNumber",
    tags=TAGS,
    summary="Verify a certificate by its number",
)
async def verify_by_number(
    partner_id: str,
    reads: ReadRouter,
    signing_keys: SigningKeyRing,
    settings: Settings,
    number: Annotated[
        str,
        Parameter(min_length=1, max_length=64, description="The number printed on the certificate (URL-encoded)."),
    ],
) -> Verification:
    """The same verification, found by the number printed on the certificate. Numbers are unique per partner,
    so the lookup names the partner (its id is in the credential's `issuer.id` and on the certificate)."""
    return await reads.run(
        lambda conn: certificates.verification_by_number(conn, signing_keys, settings.public_url, partner_id, number)
    )


@get("/v1/partners/{partner_id:str}", operation_id="getIssuerProfile", tags=TAGS, summary="Issuer profile")
async def issuer(partner_id: str, reads: ReadRouter, settings: Settings) -> IssuerProfile:
    """The Open Badges 3.0 issuer `Profile` (id, type, name) a certificate credential's `issuer.id` points to."""
    return await reads.run(lambda conn: certificates.issuer_profile(conn, settings.public_url, partner_id))


@get(
    "/v1/certificates/{certificate_id:str}",
    operation_id="getCertificate",
    tags=[PARTNER_CERTIFICATES],
    summary="Show my certificate",
    **requires("enrollments:read"),
)
async def show(certificate_id: str, conn: Connection, principal: Principal) -> CertificateOut:
    """A certificate you issued, with the full credential (the earner's name in plain text): for you only.
    Another partner's certificate is 404; the public sees the verification."""
    return await certificates.get_for_partner(conn, principal.require_partner(), certificate_id)
