"""Examples of the operations outside /v1's resources: OAuth 2.0 (token, introspection, revocation, metadata,
keys), health, and the compatibility layer of the incumbent's redeem-code API.

Written from a real sandbox run's answers; the access token carries a real token's header and claims (for the
client and partner of the partner examples) and a signature that verifies nothing.
"""

from __future__ import annotations

from typing import Any

from api.http.examples.model import Example
from api.http.examples.partner import BASE_URL, PARTNER_ID, SCHEDULE_ID, WEBINAR

CLIENT_ID = "cli_8f2b6d4e1a3c5b7d9e0f"
SCOPE = "courses:read courses:write vouchers:read vouchers:redeem"
ACCESS_JWT = (
    "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0yMDI2MTIwMS1hYmUwMjhhMSJ9"
    ".eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwMDAiLCJleHAiOjE3OTYwOTU5MjcsImNsaWVudF9pZCI6ImNsaV84ZjJiNmQ0ZTFhM2M1Yj"
    "dkOWUwZiIsImlhdCI6MTc5NjA5NTAyNywianRpIjoiMDdxTWNLOFJtdFdXeDJReCIsInNjb3BlIjoiY291cnNlczpyZWFkIGNvdXJzZXM6d3"
    "JpdGUgdm91Y2hlcnM6cmVhZCB2b3VjaGVyczpyZWRlZW0iLCJzdWIiOiJjbGlfOGYyYjZkNGUxYTNjNWI3ZDllMGYiLCJhdWQiOiJwcmFrZX"
    "JqYS1wYXJ0bmVyLWFwaSIsImVudmlyb25tZW50Ijoic2FuZGJveCIsInBhcnRuZXJfaWQiOiJwcnRfNWMxZTlhN2IzZDJmNGU2YThiMGMifQ"
    ".kiWdVE6aWFcAUJ_PzhWe35Gva1bdBmrdjkoEKZek2nnGyY9TMroSAL2wWZO183FvRYMtoh-SFXZtOgqGdv33LA"
)
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
REDEEM_CODE = "SBX-E28F-Q93V-JXJF"  # a webinar's sandbox voucher, inside its redemption window
REDEEM_CODE_STATUS: dict[str, Any] = {
    "redeem_code": REDEEM_CODE,
    "status": "sold",
    "usable": True,
    "course_id": WEBINAR["id"],
    "course_title": WEBINAR["title"],
    "schedule": {"id": SCHEDULE_ID, "starts_at": "2026-12-04T02:00:00Z", "ends_at": "2026-12-08T05:00:00Z"},
    "participant_name_masked": "Siti R.",
    "expires_at": "2026-12-04T03:00:00Z",
    "redeemed_at": None,
}

EXAMPLES: dict[str, Example] = {
    "issueToken": Example(
        "Client credentials (the client authenticates with HTTP Basic)",
        {"grant_type": "client_credentials", "scope": SCOPE},
        {"access_token": ACCESS_JWT, "token_type": "Bearer", "expires_in": 900, "scope": SCOPE},
    ),
    "introspectToken": Example(
        "One of your own tokens, still active",
        {"token": ACCESS_JWT},
        {
            "active": True,
            "scope": SCOPE,
            "client_id": CLIENT_ID,
            "sub": CLIENT_ID,
            "token_type": "Bearer",
            "iat": 1796095027,
            "exp": 1796095927,
            "iss": BASE_URL,
            "aud": "prakerja-partner-api",
            "jti": "07qMcK8RmtWWx2Qx",
            "environment": "sandbox",
            "partner_id": PARTNER_ID,
        },
    ),
    "revokeToken": Example(
        "Revoke a token before it expires", {"token": ACCESS_JWT, "token_type_hint": "access_token"}, {}
    ),
    "getAuthorizationServerMetadata": Example(
        "Where to get and check tokens",
        response={
            "issuer": BASE_URL,
            "token_endpoint": f"{BASE_URL}/oauth/token",
            "introspection_endpoint": f"{BASE_URL}/oauth/introspect",
            "revocation_endpoint": f"{BASE_URL}/oauth/revoke",
            "jwks_uri": f"{BASE_URL}/.well-known/jwks.json",
            "grant_types_supported": ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
            "response_types_supported": [],
            "scopes_supported": [
                "courses:read",
                "courses:write",
                "vouchers:read",
                "vouchers:redeem",
                "enrollments:read",
                "learning:write",
                "certificates:write",
                "events:read",
                "webhooks:manage",
                "statements:read",
                "sandbox:simulate",
                "programme:partners",
                "programme:curation",
                "programme:participants",
                "programme:finance",
                "programme:audit",
            ],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        },
    ),
    "getJwks": Example(
        "The current ES256 signing key",
        response={
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "x": "1I-9qLS8YMeQ5aCFZrmOKIGGBVN32aPUrGZlSHgmdA8",
                    "y": "7VXkfcAEl6HBoVOVgqpCzlq9g5Q89h9CfCatdoaIERc",
                    "alg": "ES256",
                    "kid": "key-20261201-abe028a1",
                    "use": "sig",
                }
            ]
        },
    ),
    "getLiveness": Example("The process answers", response={"status": "ok"}),
    "getReadiness": Example("The database answers too", response={"status": "ok"}),
    "compatibilityRedeemCodeStatus": Example(
        "A webinar's code inside its redemption window",
        {"redeem_code": REDEEM_CODE},
        {"success": True, "code": "ok", "message": "OK", "data": REDEEM_CODE_STATUS},
    ),
    "compatibilityRedeemCodeCommit": Example(
        "Redeem the code and record the first session attended",
        {"redeem_code": REDEEM_CODE, "sequence": 1},
        {
            "success": True,
            "code": "ok",
            "message": "Redeem code committed.",
            "data": {
                **REDEEM_CODE_STATUS,
                "status": "redeemed",
                "usable": False,
                "redeemed_at": "2026-12-04T02:05:11Z",
                "enrollment_id": "enr_7a1c3e5f9b2d4a6c8e0f",
                "learner_ref": f"redeem_code:{REDEEM_CODE}",
                "attended_sequences": [1],
            },
        },
    ),
}
