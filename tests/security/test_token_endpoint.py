"""The token endpoint under attack: one answer for unknown client or wrong secret, a failure throttle that holds
under concurrency and cannot lock a partner out from elsewhere, a per-address limit before any hashing, and the
tables it writes pruned (issue 13, findings 2-4)."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.jobs.worker import sweep
from api.settings import Settings
from tests.auth import Credentials, request_token

Client = AsyncTestClient[Any]
FAILURE_LIMIT = 10
ATTACKER = "127.0.0.2"  # loopback addresses only: the whole of 127/8 reaches the test server
PARTNER_SERVERS = "127.0.0.3"


@pytest.fixture
def settings(db_url: str) -> Settings:
    from tests.conftest import settings_for

    return replace(settings_for(db_url), auth_failure_limit=FAILURE_LIMIT)


def from_address(address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=30)


async def ask_token(http: httpx.AsyncClient, url: str, client_id: str, secret: str) -> httpx.Response:
    return await http.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


async def test_unknown_client_and_wrong_secret_get_the_same_answer(client: Client, partner_a: Credentials) -> None:
    unknown = await request_token(client, "cli_" + secrets.token_hex(8), "cs_whatever")
    wrong = await request_token(client, partner_a.client_id, "cs_whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert wrong.json()["error_description"] == "client authentication failed: unknown client or wrong secret"
    assert unknown.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")


async def test_concurrent_wrong_guesses_get_at_most_the_limit_of_evaluations(
    live_url: str, partner_a: Credentials, db_url: str
) -> None:
    async with from_address(ATTACKER) as http:
        answers = await asyncio.gather(
            *(ask_token(http, live_url, partner_a.client_id, f"cs_guess{n}") for n in range(40))
        )
    assert Counter(a.status_code for a in answers) == {401: FAILURE_LIMIT, 429: 40 - FAILURE_LIMIT}
    conn = await asyncpg.connect(db_url)
    try:
        audited = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'client.authentication_failed' AND entity_id = $1",
            partner_a.client_id,
        )
    finally:
        await conn.close()
    assert audited == FAILURE_LIMIT


async def test_a_flood_of_wrong_secrets_does_not_lock_the_partner_out_from_elsewhere(
    live_url: str, partner_a: Credentials
) -> None:
    async with from_address(ATTACKER) as attacker, from_address(PARTNER_SERVERS) as partner_servers:
        for _ in range(3):  # the attack repeats; each time the window is full again
            flood = await asyncio.gather(
                *(ask_token(attacker, live_url, partner_a.client_id, "cs_wrong") for _ in range(FAILURE_LIMIT + 5))
            )
            assert {a.status_code for a in flood} <= {401, 429}
            assert (
                await ask_token(attacker, live_url, partner_a.client_id, partner_a.client_secret)
            ).status_code == 429
            fine = await ask_token(partner_servers, live_url, partner_a.client_id, partner_a.client_secret)
            assert fine.status_code == 200, fine.text


async def test_the_per_address_limit_stops_random_ids_before_any_hashing(
    settings: Settings, db_url: str, partner_a: Credentials
) -> None:
    from tests.live_server import serving

    limited = replace(settings, token_address_limit_per_minute=5)
    with serving(limited) as url:
        async with from_address(ATTACKER) as attacker, from_address(PARTNER_SERVERS) as partner_servers:
            answers = [await ask_token(attacker, url, "cli_" + secrets.token_hex(8), "cs_random") for _ in range(12)]
            fine = await ask_token(partner_servers, url, partner_a.client_id, partner_a.client_secret)
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 7
    assert answers[-1].json()["code"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) > 0
    assert fine.status_code == 200
    conn = await asyncpg.connect(db_url)
    try:
        evaluated = await conn.fetchval("SELECT count(*) FROM client_auth_failures WHERE address = $1", ATTACKER)
    finally:
        await conn.close()
    assert evaluated == 5  # the refused seven never reached the throttle, let alone Argon2


async def test_the_worker_prunes_what_the_token_endpoint_leaves_behind(db_url: str, settings: Settings) -> None:
    from api.db.pool import create_pool

    now = datetime.now(UTC)
    conn = await asyncpg.connect(db_url)
    try:
        for name, age in (("old", timedelta(hours=2)), ("new", timedelta(seconds=0))):
            await conn.execute(
                "INSERT INTO client_auth_failures (client_id, address, window_started_at, failures)"
                " VALUES ($1, '127.0.0.1', $2, 3)",
                f"cli_{name}",
                now - age,
            )
            await conn.execute(
                "INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ('cli_x', $1, $2)",
                name,
                now - age + timedelta(minutes=5),
            )
            await conn.execute(
                "INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES ($1, 'cli_x', $2)",
                name,
                now - age + timedelta(minutes=15),
            )
        pool = await create_pool(settings)
        try:
            report = await sweep(pool, now, include_lapse=False)
        finally:
            await pool.close()
        assert report.token_endpoint_rows_deleted == 3
        assert await conn.fetchval("SELECT array_agg(client_id) FROM client_auth_failures") == ["cli_new"]
        assert await conn.fetchval("SELECT array_agg(jti) FROM client_assertion_jtis") == ["new"]
        assert await conn.fetchval("SELECT array_agg(jti) FROM revoked_tokens") == ["new"]
    finally:
        await conn.close()
