"""Access tokens: the lifetime cap, the clock leeway, and key rotation that takes effect (issue 13, findings 1, 8)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.auth.signing_keys import CLOCK_LEEWAY_SECONDS, SigningKeyRing
from api.http.request_context import RequestContext
from api.jobs.bootstrap import rotate_signing_key
from api.settings import Settings
from tests.auth import Credentials, forged_access_token, kid_of, onboard_partner, programme_credentials, token_for
from tests.factories import iso
from tests.money import completed_enrollment, key

Client = AsyncTestClient[Any]
CACHE_SECONDS = 1


@pytest.fixture
def settings(db_url: str) -> Settings:
    from tests.conftest import settings_for

    return replace(settings_for(db_url), key_cache_seconds=CACHE_SECONDS)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Client, SigningKeyRing]]:
    app = create_app(settings)
    async with AsyncTestClient(app=RequestContext(app)) as client:  # type: ignore[arg-type]
        yield client, app.state.signing_keys


async def partner(client: Client, settings: Settings) -> Credentials:
    return await onboard_partner(client, await programme_credentials(client, settings), "Partner A")


async def me(client: Client, token: str) -> int:
    return (await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def set_retired_at(settings: Settings, kid: str, seconds_ago: int) -> None:
    """As if the key had been retired `seconds_ago` (time passing, without waiting for it)."""
    assert settings.database_url is not None
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE signing_keys SET retired_at = now() - make_interval(secs => $2) WHERE kid = $1", kid, seconds_ago
        )
    finally:
        await conn.close()


async def wait_for_cache() -> None:
    await asyncio.sleep(CACHE_SECONDS + 0.2)


async def test_a_token_living_longer_than_the_configured_lifetime_is_refused(
    served: tuple[Client, SigningKeyRing], settings: Settings
) -> None:
    client, ring = served
    creds = await partner(client, settings)
    now = int(time.time())
    assert ring.active is not None
    honest = forged_access_token(ring.active, settings, creds, issued_at=now, expires_at=now + 900)
    assert await me(client, honest) == 200  # the forgery is otherwise a perfect token
    year = forged_access_token(ring.active, settings, creds, issued_at=now, expires_at=now + 365 * 24 * 3600)
    assert await me(client, year) == 401


async def test_an_expired_token_gets_a_few_seconds_of_leeway_not_a_minute(
    served: tuple[Client, SigningKeyRing], settings: Settings
) -> None:
    client, ring = served
    creds = await partner(client, settings)
    now = int(time.time())
    assert ring.active is not None
    assert CLOCK_LEEWAY_SECONDS <= 5
    expired = forged_access_token(ring.active, settings, creds, issued_at=now - 600, expires_at=now - 10)
    assert await me(client, expired) == 401


async def test_new_tokens_are_signed_with_the_new_key_within_the_cache_interval(
    served: tuple[Client, SigningKeyRing], settings: Settings
) -> None:
    client, _ = served
    creds = await partner(client, settings)
    old_kid = kid_of(creds.token)
    new_kid = await rotate_signing_key(settings)  # another process (the CLI) rotates; nobody reads the JWKS
    await wait_for_cache()
    fresh = await token_for(client, creds.client_id, creds.client_secret)
    assert kid_of(fresh) == new_kid != old_kid
    assert await me(client, fresh) == 200
    assert await me(client, creds.token) == 200  # issued before the rotation: good until it expires


async def test_a_retired_key_verifies_only_tokens_issued_before_its_retirement(
    served: tuple[Client, SigningKeyRing], settings: Settings
) -> None:
    client, ring = served
    creds = await partner(client, settings)
    retired = ring.active
    assert retired is not None
    await rotate_signing_key(settings)
    await set_retired_at(settings, kid_of(creds.token), 120)
    await wait_for_cache()
    now = int(time.time())
    before = forged_access_token(retired, settings, creds, issued_at=now - 180, expires_at=now - 180 + 900)
    assert await me(client, before) == 200
    after = forged_access_token(retired, settings, creds, issued_at=now - 60, expires_at=now - 60 + 900)
    assert await me(client, after) == 401  # a stolen retired key mints nothing new


async def test_a_retired_key_leaves_the_jwks_once_its_tokens_expired(
    served: tuple[Client, SigningKeyRing], settings: Settings
) -> None:
    client, _ = served
    creds = await partner(client, settings)
    old_kid = kid_of(creds.token)
    new_kid = await rotate_signing_key(settings)
    await wait_for_cache()
    assert {old_kid, new_kid} <= {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    await set_retired_at(settings, old_kid, settings.token_ttl_seconds + 60)
    await wait_for_cache()
    assert [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]] == [new_kid]
    assert await me(client, creds.token) == 401


async def test_a_retired_key_that_signed_certificates_stays_published_but_verifies_no_token(
    client: Client, programme: Credentials, partner_a: Credentials, settings: Settings, db_url: str
) -> None:
    enrollment_id = await completed_enrollment(client, programme, partner_a, db_url)
    issued = await client.post(
        f"/v1/enrollments/{enrollment_id}/certificate",
        json={"number": "CERT-0001", "issued_at": iso(datetime.now(UTC) - timedelta(minutes=5))},
        headers={**partner_a.headers, **key()},
    )
    assert issued.status_code == 201, issued.text
    old_kid = kid_of(issued.json()["credential"])
    assert old_kid == kid_of(partner_a.token)
    new_kid = await rotate_signing_key(settings)
    await set_retired_at(settings, old_kid, settings.token_ttl_seconds + 60)
    await wait_for_cache()
    assert {old_kid, new_kid} <= {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert await me(client, partner_a.token) == 401
