"""Key rotation across processes: `python -m api serve --workers 2`, then `python -m api keys rotate` (issue 13, 1).

Every worker must sign with the new key within the key cache interval without anyone reading the JWKS; a token of
the retired key keeps working until its lifetime is over and then stops, and the retired key leaves the JWKS.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.settings import Settings
from tests.auth import Credentials, kid_of
from tests.live_server import REPO_ROOT, server_environment, serving_process

CACHE_SECONDS = 2
ROUNDS = 24  # new connections each, spread over both workers by the kernel


@pytest.fixture
def settings(db_url: str) -> Settings:
    from tests.conftest import settings_for

    return replace(settings_for(db_url), key_cache_seconds=CACHE_SECONDS)


def rotate(settings: Settings) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api", "keys", "rotate"],
        cwd=REPO_ROOT,
        env={**os.environ, **server_environment(settings)},
        capture_output=True,
        check=True,
        timeout=60,
    )
    kid: str = json.loads(done.stdout.decode().strip().splitlines()[-1])["kid"]
    return kid


def token(url: str, creds: Credentials) -> str:
    response = httpx.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


def me(url: str, access_token: str) -> int:
    return httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {access_token}"}, timeout=10).status_code


def published(url: str) -> set[str]:
    return {key["kid"] for key in httpx.get(f"{url}/.well-known/jwks.json", timeout=10).json()["keys"]}


async def age_retirement(settings: Settings, kid: str, seconds: int) -> None:
    assert settings.database_url is not None
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE signing_keys SET retired_at = now() - make_interval(secs => $2) WHERE kid = $1", kid, seconds
        )
    finally:
        await conn.close()


async def test_rotation_reaches_every_worker_and_the_retired_key_ends(
    settings: Settings, partner_a: Credentials, tmp_path: Path
) -> None:
    with serving_process(settings, tmp_path / "server.log", workers=2) as server:
        before = token(server.url, partner_a)
        old_kid = kid_of(before)
        new_kid = rotate(settings)
        await asyncio.sleep(CACHE_SECONDS + 0.5)  # the cache interval, and nobody asks for the JWKS meanwhile
        kids = {kid_of(token(server.url, partner_a)) for _ in range(ROUNDS)}
        assert kids == {new_kid} != {old_kid}
        assert {me(server.url, before) for _ in range(ROUNDS)} == {200}  # issued before: valid until it expires
        assert {old_kid, new_kid} <= published(server.url)

        # Its lifetime (and the grace) over, as if the rotation had happened that long ago:
        await age_retirement(settings, old_kid, settings.token_ttl_seconds + 60)
        await asyncio.sleep(CACHE_SECONDS + 0.5)
        assert {me(server.url, before) for _ in range(ROUNDS)} == {401}
        assert all(published(server.url) == {new_kid} for _ in range(ROUNDS // 2))
