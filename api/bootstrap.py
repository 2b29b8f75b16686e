"""Out-of-band set-up the HTTP API cannot do for itself: the first programme client, key rotation, the demo partner."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from api.client_secrets import SecretHasher, new_client_secret
from api.schemas.partners import ClientCreate
from api.services import clients
from api.services.audit import Actor
from api.settings import Settings
from api.signing_keys import SigningKeyRing, key_encryption_key
from domain import clients as client_rules

DEMO_PARTNER_ID = "prt_demo"
DEMO_CLIENT_ID = "cli_demo_sandbox"
CLI_ACTOR = Actor.system("cli")

UPSERT_DEMO_PARTNER = """
INSERT INTO partners (id, name, kind, contact_email) VALUES ($1, 'Demo Training Platform', 'platform', 'dev@demo.test')
ON CONFLICT (id) DO NOTHING
"""
UPSERT_DEMO_CLIENT = """
INSERT INTO oauth_clients (client_id, partner_id, name, environment, scopes, secret_hash)
VALUES ($1, $2, 'Demo sandbox client', 'sandbox', $3, $4)
ON CONFLICT (client_id) DO UPDATE
   SET secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes, status = 'active',
       previous_secret_hash = NULL, previous_secret_expires_at = NULL, updated_at = now()
"""


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    client_id: str
    client_secret: str


def deployment_environment(settings: Settings) -> client_rules.Environment:
    """The client environment this deployment serves by default."""
    return client_rules.Environment.PRODUCTION if settings.is_production else client_rules.Environment.SANDBOX


async def create_programme_client(settings: Settings, name: str, scopes: list[str] | None) -> IssuedCredentials:
    """A new portal client (the bootstrap: the only way to get one without already holding one)."""
    assert settings.database_url is not None
    environment = deployment_environment(settings)
    wanted = scopes or list(client_rules.default_scopes(for_partner=False, environment=environment))
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            created = await clients.create_client(
                conn,  # type: ignore[arg-type]
                CLI_ACTOR,
                SecretHasher(settings.secret_hash_profile),
                None,
                ClientCreate(name=name, environment=environment.value, scopes=wanted),
                app_env=settings.app_env,
            )
    finally:
        await conn.close()
    return IssuedCredentials(created.client_id, created.client_secret)


async def rotate_signing_key(settings: Settings) -> str:
    """A new active signing key; the previous one stays published so its tokens and certificates verify."""
    assert settings.database_url is not None
    ring = SigningKeyRing(kek=key_encryption_key(settings))
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await ring.create_key(conn, retire_current=True)  # type: ignore[arg-type]
    finally:
        await conn.close()


async def demo_partner_credentials(settings: Settings) -> IssuedCredentials:
    """The sandbox demo partner and its client, with a fresh secret on every start (only the hash is kept)."""
    assert settings.database_url is not None
    secret = new_client_secret()
    secret_hash = await SecretHasher(settings.secret_hash_profile).hash(secret)
    scopes = list(client_rules.default_scopes(for_partner=True, environment=client_rules.Environment.SANDBOX))
    conn = await asyncpg.connect(settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute(UPSERT_DEMO_PARTNER, DEMO_PARTNER_ID)
            await conn.execute(UPSERT_DEMO_CLIENT, DEMO_CLIENT_ID, DEMO_PARTNER_ID, scopes, secret_hash)
    finally:
        await conn.close()
    return IssuedCredentials(DEMO_CLIENT_ID, secret)
