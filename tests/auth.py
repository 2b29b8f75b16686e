"""Getting credentials and tokens in tests the way a portal or a partner would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.testing import AsyncTestClient

from api.jobs.bootstrap import create_programme_client
from api.settings import Settings
from domain.clients import PARTNER_SCOPES

Client = AsyncTestClient[Any]


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    partner_id: str | None = None
    token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def request_token(client: Client, client_id: str, secret: str, scope: str | None = None) -> Any:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return await client.post("/oauth/token", data=form, auth=(client_id, secret))


async def token_for(client: Client, client_id: str, secret: str, scope: str | None = None) -> str:
    response = await request_token(client, client_id, secret, scope)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def programme_credentials(client: Client, settings: Settings) -> Credentials:
    issued = await create_programme_client(settings, "Portal", None)
    creds = Credentials(issued.client_id, issued.client_secret)
    creds.token = await token_for(client, creds.client_id, creds.client_secret)
    return creds


async def onboard_partner(
    client: Client,
    programme: Credentials,
    name: str,
    scopes: list[str] | None = None,
    environment: str = "sandbox",
) -> Credentials:
    """A new partner with one client holding `scopes` (default: every partner scope), and a token."""
    partner = await client.post(
        "/v1/programme/partners",
        json={"name": name, "kind": "platform", "contact_email": "ops@example.com"},
        headers=programme.headers,
    )
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    wanted = scopes or [s for s in PARTNER_SCOPES if environment == "sandbox" or s != "sandbox:simulate"]
    created = await client.post(
        f"/v1/programme/partners/{partner_id}/clients",
        json={"name": f"{name} integration", "environment": environment, "scopes": wanted},
        headers=programme.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    creds = Credentials(body["client_id"], body["client_secret"], partner_id)
    creds.token = await token_for(client, creds.client_id, creds.client_secret)
    return creds


def forged_access_token(
    key: Any, settings: Settings, creds: Credentials, *, issued_at: int, expires_at: int, scope: str = "courses:read"
) -> str:
    """An access token for `creds` signed directly with `key` (a private signing key), claims as the server's."""
    from joserfc import jwt

    claims = {
        "iss": settings.issuer,
        "aud": settings.token_audience,
        "sub": creds.client_id,
        "client_id": creds.client_id,
        "iat": issued_at,
        "exp": expires_at,
        "jti": f"forged-{issued_at}-{expires_at}",
        "scope": scope,
        "environment": "sandbox",
        "partner_id": creds.partner_id,
    }
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, claims, key)


def kid_of(token: str) -> str:
    """The `kid` in a compact JWS's header."""
    import base64
    import json

    header = token.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid
