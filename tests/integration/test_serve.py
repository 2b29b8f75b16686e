"""`python -m api serve --port N` is what it says it is: metadata, tokens and links name that address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwk
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.auth import Credentials
from tests.live_server import serving_process

Client = AsyncTestClient[Any]


async def jwt_partner_client(client: Client, programme: Credentials, partner: Credentials) -> tuple[str, jwk.RSAKey]:
    key = jwk.RSAKey.generate_key(2048, parameters={"kid": "integrator-key"})
    created = await client.post(
        f"/v1/programme/partners/{partner.partner_id}/clients",
        json={
            "name": "Authlib private_key_jwt client",
            "environment": "sandbox",
            "scopes": ["vouchers:read", "courses:read"],
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
        headers=programme.headers,
    )
    assert created.status_code == 201, created.text
    client_id: str = created.json()["client_id"]
    return client_id, key


async def test_a_standard_private_key_jwt_client_gets_a_token_from_a_server_on_any_port(
    client: Client, programme: Credentials, partner_a: Credentials, settings: Settings, tmp_path: Path
) -> None:
    client_id, key = await jwt_partner_client(client, programme, partner_a)

    with serving_process(settings, tmp_path / "api.log", public_url=False) as server:
        assert server.url.rsplit(":", 1)[1] != "8000"
        async with httpx.AsyncClient() as plain:
            metadata = (await plain.get(f"{server.url}/.well-known/oauth-authorization-server")).json()
        assert metadata["issuer"] == server.url
        assert metadata["token_endpoint"] == f"{server.url}/oauth/token"
        assert metadata["jwks_uri"] == f"{server.url}/.well-known/jwks.json"

        # What an integrator writes: Authlib's client, its private_key_jwt (the token endpoint URL is the `aud`).
        async with AsyncOAuth2Client(
            client_id, client_secret=key.as_pem(private=True), token_endpoint_auth_method="private_key_jwt"
        ) as oauth:
            oauth.register_client_auth_method(PrivateKeyJWT(metadata["token_endpoint"]))
            token = await oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
            me = await oauth.get(f"{server.url}/v1/me")

        assert token["token_type"] == "Bearer"
        assert me.status_code == 200, me.text
        assert me.json()["client_id"] == client_id
