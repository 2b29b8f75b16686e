"""Public certificate verification (no authentication)."""

from __future__ import annotations

from litestar import get

from api.db.replicas import ReadRouter
from api.schemas.certificates import Verification
from api.services import certificates


@get(
    "/v1/certificates/{certificate_id:str}/verification",
    operation_id="verifyCertificate",
    tags=["certificates"],
    summary="Verify a certificate",
)
async def verify(certificate_id: str, reads: ReadRouter) -> Verification:
    """Whether the certificate is valid or revoked, the course, the partner, the completion date, the
    participant's masked name, and the signed credential (a JWS anyone can verify offline with
    `/.well-known/jwks.json`)."""
    return await reads.run(lambda conn: certificates.verification(conn, certificate_id))
