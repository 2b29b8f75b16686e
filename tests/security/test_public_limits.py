"""Per-address limits on public endpoints, and a trusted-proxy setting that is explicit and off by default
(issue 13, finding 9)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.app import asgi_app, create_app
from api.http.client_address import client_address
from api.http.request_context import RequestContext
from api.settings import Settings, SettingsError
from tests.live_server import serving

Client = AsyncTestClient[Any]
LIMIT = 5
MISSING_CERTIFICATE = "/v1/certificates/00000000-0000-4000-8000-000000000000/verification"


async def clear_of_window_end(margin: float = 8) -> None:
    """Quotas live in fixed one-minute windows: start a counting test well inside one."""
    left = 60 - time.time() % 60
    if left < margin:
        await asyncio.sleep(left + 0.1)


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return replace(settings, public_limit_per_minute=LIMIT, token_address_limit_per_minute=LIMIT)


async def test_public_endpoints_share_a_per_address_quota(limited: Settings) -> None:
    await clear_of_window_end()
    async with AsyncTestClient(app=asgi_app(limited)) as client:  # type: ignore[arg-type]
        answers = [await client.get("/v1/catalogue/courses", params={"q": "digital"}) for _ in range(3)]
        answers += [await client.get(MISSING_CERTIFICATE) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200, 200, 404, 404]
        for path in ("/v1/catalogue/courses", MISSING_CERTIFICATE, "/.well-known/jwks.json"):
            refused = await client.get(path)
            assert refused.status_code == 429, path
            assert refused.json()["code"] == "rate_limited"
            assert int(refused.headers["retry-after"]) > 0
            assert refused.headers["ratelimit-policy"] == f'"public";q={LIMIT};w=60'
        assert (await client.get("/health/live")).status_code == 200  # probes are never limited
        assert (await client.get("/health/ready")).status_code == 200


async def test_forwarding_headers_are_ignored_unless_a_proxy_is_trusted(limited: Settings) -> None:
    await clear_of_window_end()
    async with AsyncTestClient(app=asgi_app(limited)) as client:  # type: ignore[arg-type]
        statuses = [
            (await client.get("/v1/catalogue/courses", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in range(LIMIT + 1)
        ]
    assert statuses == [200] * LIMIT + [429]  # one socket address, however many addresses it claims


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_quota(limited: Settings) -> None:
    behind_proxy = replace(limited, trusted_proxy_header="x-forwarded-for", trusted_proxies=("127.0.0.1/32",))
    await clear_of_window_end()
    with serving(behind_proxy) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:

            async def search(forwarded: str) -> int:
                answer = await http.get("/v1/catalogue/courses", headers={"X-Forwarded-For": forwarded})
                return answer.status_code

            first = [await search("203.0.113.7") for _ in range(LIMIT)]
            # The caller wrote its own "1.2.3.4"; the proxy appended the address it saw: that one counts.
            spoofed = await search("1.2.3.4, 203.0.113.7")
            other = await search("203.0.113.8")
    assert first == [200] * LIMIT
    assert spoofed == 429
    assert other == 200


def test_the_address_comes_from_the_socket_unless_its_peer_is_a_trusted_proxy() -> None:
    def scope(peer: str, forwarded: str) -> dict[str, Any]:
        return {"client": (peer, 5000), "headers": [(b"x-forwarded-for", forwarded.encode())], "state": {}}

    off = Settings()
    on = replace(off, trusted_proxy_header="x-forwarded-for", trusted_proxies=("10.0.0.0/8",))
    assert client_address(scope("10.1.1.1", "198.51.100.1"), off) == "10.1.1.1"
    assert client_address(scope("10.1.1.1", "198.51.100.1"), on) == "198.51.100.1"
    assert client_address(scope("192.0.2.9", "198.51.100.1"), on) == "192.0.2.9"  # not from a trusted proxy
    assert client_address(scope("10.1.1.1", "6.6.6.6, 198.51.100.1, 10.2.2.2"), on) == "198.51.100.1"
    assert client_address(scope("10.1.1.1", "not-an-address"), on) == "10.1.1.1"


def test_the_trusted_proxy_setting_is_explicit() -> None:
    assert Settings.from_env({}).trusted_proxy_header is None
    with pytest.raises(SettingsError):
        Settings.from_env({"TRUSTED_PROXY_HEADER": "x-forwarded-for"})
    with pytest.raises(SettingsError):
        Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8"})
    with pytest.raises(SettingsError):
        Settings.from_env({"TRUSTED_PROXY_HEADER": "x-forwarded-for", "TRUSTED_PROXIES": "not a network"})
    configured = Settings.from_env({"TRUSTED_PROXY_HEADER": "X-Forwarded-For", "TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert (configured.trusted_proxy_header, configured.trusted_proxies) == (
        "x-forwarded-for",
        ("10.0.0.0/8", "::1/128"),
    )


async def test_a_cached_catalogue_page_spends_the_quota_too(limited: Settings) -> None:
    """The page cache answers after the guards: serving from memory does not bypass the per-address limit."""
    app = create_app(replace(limited, catalogue_cache_seconds=10))
    await clear_of_window_end()
    async with AsyncTestClient(app=RequestContext(app)) as client:  # type: ignore[arg-type]
        cache = app.state.page_cache
        deadline = time.monotonic() + 10
        while not cache.enabled:  # the process listens for catalogue changes: pages are cached from now on
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        answers = [await client.get("/v1/catalogue/courses") for _ in range(LIMIT)]
        assert [a.status_code for a in answers] == [200] * LIMIT
        assert len({a.headers["etag"] for a in answers}) == 1
        assert cache.lookup(b"/v1/catalogue/courses?", time.monotonic()) is not None  # really served from memory
        refused = await client.get("/v1/catalogue/courses")
        assert refused.status_code == 429
