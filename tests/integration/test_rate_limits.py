"""Per-client rate limits: a client's quota per minute holds across API processes; the token endpoint has its own."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from api.auth.rate_limits import API_POLICY, WINDOW_SECONDS, Policy, RateLimiter
from api.settings import Settings
from tests.auth import Client, Credentials, request_token, token_for
from tests.conftest import settings_for
from tests.live_server import serving

TOKEN_LIMIT = 5
DEFAULT_LIMIT = 40
REMAINING = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The test settings with a default and a token endpoint limit small enough to reach."""
    return replace(settings_for(db_url), rate_limit_per_minute=DEFAULT_LIMIT, token_rate_limit_per_minute=TOKEN_LIMIT)


async def clear_of_window_end(seconds: float) -> None:
    """Start a burst early enough in a fixed one-minute window that the window cannot end during it."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < seconds:
        await asyncio.sleep(left + 0.1)


async def limited_client(
    client: Client, programme: Credentials, limit: int | None, *, token: bool = True
) -> Credentials:
    """A new partner's client with `rate_limit_per_minute = limit` (None: the deployment's default)."""
    partner = await client.post(
        "/v1/programme/partners",
        json={"name": "Busy Academy", "kind": "platform", "contact_email": "ops@busy.example"},
        headers=programme.headers,
    )
    assert partner.status_code == 201, partner.text
    body: dict[str, Any] = {"name": "busy integration", "environment": "sandbox", "scopes": ["courses:read"]}
    if limit is not None:
        body["rate_limit_per_minute"] = limit
    created = await client.post(
        f"/v1/programme/partners/{partner.json()['id']}/clients", json=body, headers=programme.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["rate_limit_per_minute"] == limit
    creds = Credentials(created.json()["client_id"], created.json()["client_secret"], partner.json()["id"])
    if token:
        creds.token = await token_for(client, creds.client_id, creds.client_secret)
    return creds


def assert_rate_limited(response: httpx.Response, policy: str, quota: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "rate_limited"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW_SECONDS
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={quota};w={WINDOW_SECONDS}'
    assert response.headers["ratelimit"] == f'"{policy}";r=0;t={retry_after}'


async def test_a_client_gets_exactly_its_quota_per_minute_then_429(client: Client, programme: Credentials) -> None:
    busy = await limited_client(client, programme, 20)
    await clear_of_window_end(10)

    responses = [await client.get("/v1/me", headers=busy.headers) for _ in range(30)]

    assert [r.status_code for r in responses] == [200] * 20 + [429] * 10
    # The RateLimit headers appear once at most half of the quota remains.
    assert "ratelimit" not in responses[0].headers
    for spent, accepted in enumerate(responses[10:20], start=11):
        assert accepted.headers["ratelimit-policy"] == f'"per-client";q=20;w={WINDOW_SECONDS}'
        remaining = REMAINING.match(accepted.headers["ratelimit"])
        assert remaining is not None
        assert remaining["name"] == "per-client"
        assert int(remaining["r"]) == 20 - spent
        assert 1 <= int(remaining["t"]) <= WINDOW_SECONDS
    for refused in responses[20:]:
        assert_rate_limited(refused, "per-client", 20)


async def test_the_quota_holds_across_api_processes(client: Client, programme: Credentials, settings: Settings) -> None:
    busy = await limited_client(client, programme, 25)
    with serving(settings) as first, serving(settings) as second:
        async with httpx.AsyncClient(timeout=30) as http:
            await clear_of_window_end(15)
            responses = await asyncio.gather(
                *(http.get(f"{base}/v1/me", headers=busy.headers) for base in [first, second] * 30)
            )

    accepted = [r for r in responses if r.status_code == 200]
    assert len(accepted) <= 25
    assert len(accepted) >= 20  # leased but unspent quota is lost at the window's end, never more than that
    for refused in (r for r in responses if r.status_code != 200):
        assert_rate_limited(refused, "per-client", 25)


async def test_the_token_endpoint_has_a_stricter_limit_per_client_id(client: Client, programme: Credentials) -> None:
    busy = await limited_client(client, programme, None, token=False)
    other = await limited_client(client, programme, None, token=False)
    await clear_of_window_end(10)

    answers = [await request_token(client, busy.client_id, busy.client_secret) for _ in range(TOKEN_LIMIT + 3)]

    assert [a.status_code for a in answers] == [200] * TOKEN_LIMIT + [429] * 3
    assert answers[TOKEN_LIMIT - 1].headers["ratelimit-policy"] == f'"token";q={TOKEN_LIMIT};w={WINDOW_SECONDS}'
    assert answers[TOKEN_LIMIT - 1].headers["ratelimit"].startswith('"token";r=0;t=')
    for refused in answers[TOKEN_LIMIT:]:
        assert_rate_limited(refused, "token", TOKEN_LIMIT)
    # Another client id still gets its tokens, and the refused client's tokens still work.
    assert (await request_token(client, other.client_id, other.client_secret)).status_code == 200
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {answers[0].json()['access_token']}"})
    assert me.status_code == 200


async def test_strangers_presenting_a_client_id_do_not_spend_its_token_quota(
    client: Client, programme: Credentials
) -> None:
    # Issue 13: a quota counted before authentication let anyone who knew a client id use it up. Unauthenticated
    # requests are limited per address instead (tests/security/test_token_endpoint.py).
    busy = await limited_client(client, programme, None, token=False)
    await clear_of_window_end(10)

    wrong = [await request_token(client, busy.client_id, "cs_wrong") for _ in range(5)]
    answers = [await request_token(client, busy.client_id, busy.client_secret) for _ in range(TOKEN_LIMIT + 1)]

    assert [a.status_code for a in wrong] == [401] * 5
    assert [a.status_code for a in answers] == [200] * TOKEN_LIMIT + [429]
    assert_rate_limited(answers[-1], "token", TOKEN_LIMIT)


async def test_other_clients_are_unaffected(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    busy = await limited_client(client, programme, 10)
    await clear_of_window_end(10)

    statuses = [(await client.get("/v1/me", headers=busy.headers)).status_code for _ in range(12)]
    assert statuses == [200] * 10 + [429] * 2

    for _ in range(3):
        assert (await client.get("/v1/me", headers=partner_a.headers)).status_code == 200
    assert (await client.get("/v1/programme/partners", headers=programme.headers)).status_code == 200
    assert (await client.get("/v1/me", headers=busy.headers)).status_code == 429


async def test_a_client_without_its_own_limit_gets_the_deployment_default(
    client: Client, programme: Credentials
) -> None:
    plain = await limited_client(client, programme, None)
    await clear_of_window_end(10)

    statuses = [(await client.get("/v1/me", headers=plain.headers)).status_code for _ in range(DEFAULT_LIMIT)]
    assert statuses == [200] * DEFAULT_LIMIT
    assert_rate_limited(await client.get("/v1/me", headers=plain.headers), "per-client", DEFAULT_LIMIT)


@pytest.mark.parametrize("limit", [0, 1_000_001])
async def test_a_client_limit_out_of_range_is_refused(client: Client, programme: Credentials, limit: int) -> None:
    partner = await client.post(
        "/v1/programme/partners",
        json={"name": "Odd Academy", "kind": "platform", "contact_email": "ops@odd.example"},
        headers=programme.headers,
    )
    created = await client.post(
        f"/v1/programme/partners/{partner.json()['id']}/clients",
        json={"name": "odd", "environment": "sandbox", "scopes": ["courses:read"], "rate_limit_per_minute": limit},
        headers=programme.headers,
    )
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "rate_limit_per_minute"


class UnansweringPool:
    """A pool in front of a database that does not answer: each connection attempt times out after `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def acquire(self) -> UnansweringPool:
        return self

    async def __aenter__(self) -> None:
        await asyncio.sleep(self.seconds)
        raise TimeoutError

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_requests_waiting_for_a_lease_share_its_failure() -> None:
    timeout = 0.3
    limiter = RateLimiter(UnansweringPool(timeout), Policy(API_POLICY, 100, per_client=True))  # type: ignore[arg-type]
    started = time.monotonic()

    outcomes = await asyncio.gather(
        *(limiter.admit({"state": {}}, "cli_busy") for _ in range(5)),  # type: ignore[arg-type]
        return_exceptions=True,
    )

    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)  # answered 503 by the error map
    assert time.monotonic() - started < 2 * timeout  # one database timeout for all, not one per request queued
