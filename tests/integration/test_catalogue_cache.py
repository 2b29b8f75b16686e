"""The public catalogue is cacheable: ETags and 304s, shared-cache headers, and per-process pages that a
catalogue change empties at once (NOTIFY), while a process that cannot hear changes serves nothing cached."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.__main__ import openapi_document
from api.http.page_cache import PageCache
from api.settings import Settings
from tests.auth import Credentials
from tests.conftest import settings_for
from tests.courses import approved


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(settings_for(db_url), catalogue_cache_seconds=10)


async def _listening(app: Litestar) -> PageCache:
    cache: PageCache = app.state.page_cache
    deadline = time.monotonic() + 10
    while not cache.enabled:
        assert time.monotonic() < deadline, "the process never started listening for catalogue changes"
        await asyncio.sleep(0.05)
    return cache


async def _settled(cache: PageCache) -> None:
    """Wait until the notifications of changes already committed have been heard (no clear for 300 ms)."""
    while True:
        generation = cache.generation
        await asyncio.sleep(0.3)
        if cache.generation == generation:
            return


async def _titles(client: AsyncTestClient[Any]) -> list[str]:
    response = await client.get("/v1/catalogue/courses")
    assert response.status_code == 200
    return [item["title"] for item in response.json()["items"]]


async def test_pages_carry_an_etag_and_answer_304_when_unchanged(
    app: Litestar, client: AsyncTestClient[Any], programme: Credentials, partner_a: Credentials
) -> None:
    await _listening(app)
    course_id = (await approved(client, partner_a, programme, title="Bahasa Inggris untuk Perhotelan"))["id"]
    first = await client.get("/v1/catalogue/courses")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=10, stale-while-revalidate=40"

    again = await client.get("/v1/catalogue/courses")
    assert again.headers["etag"] == etag
    assert again.content == first.content

    unchanged = await client.get("/v1/catalogue/courses", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    stale = await client.get("/v1/catalogue/courses", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200

    detail = await client.get(f"/v1/catalogue/courses/{course_id}")
    assert detail.status_code == 200
    assert (
        await client.get(f"/v1/catalogue/courses/{course_id}", headers={"If-None-Match": detail.headers["etag"]})
    ).status_code == 304

    # The contract says so: If-None-Match taken, 304 documented, and every header a 304 or a 200 carries named.
    paths = openapi_document()["paths"]
    for operation, answer in (
        (paths["/v1/catalogue/courses"]["get"], unchanged),
        (paths["/v1/catalogue/courses"]["get"], first),
    ):
        assert "If-None-Match" in [p["name"] for p in operation["parameters"]]
        documented = {name.lower() for name in operation["responses"][str(answer.status_code)]["headers"]}
        assert {"etag", "cache-control", "x-request-id"} <= documented
        assert {"etag", "cache-control"} <= set(answer.headers)
    assert "304" in paths["/v1/catalogue/courses/{course_id}"]["get"]["responses"]


async def test_a_catalogue_change_empties_the_cache_at_once(
    app: Litestar,
    client: AsyncTestClient[Any],
    programme: Credentials,
    partner_a: Credentials,
    settings: Settings,
) -> None:
    cache = await _listening(app)
    course_id = (await approved(client, partner_a, programme, title="Dasar Pemrograman Python"))["id"]
    await _settled(cache)
    assert "Dasar Pemrograman Python" in await _titles(client)

    # A change that does not announce itself stays invisible: the page really comes from the cache.
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("ALTER TABLE courses DISABLE TRIGGER courses_catalogue_changed")
        await conn.execute("UPDATE courses SET title = 'Judul Diam-diam' WHERE id = $1", course_id)
        await conn.execute("ALTER TABLE courses ENABLE TRIGGER courses_catalogue_changed")
        assert "Dasar Pemrograman Python" in await _titles(client)

        # An announced change (any statement on courses) empties every page in every listening process.
        generation = cache.generation
        await conn.execute("UPDATE courses SET updated_at = updated_at WHERE id = $1", course_id)
    finally:
        await conn.close()
    deadline = time.monotonic() + 5
    while cache.generation == generation:
        assert time.monotonic() < deadline, "the change was never heard"
        await asyncio.sleep(0.02)
    assert "Judul Diam-diam" in await _titles(client)

    # A newly approved course shows as soon as the approval commits and is heard.
    await approved(client, partner_a, programme, title="Manajemen Keuangan Pribadi")
    deadline = time.monotonic() + 5
    while "Manajemen Keuangan Pribadi" not in await _titles(client):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def test_a_process_that_cannot_hear_changes_serves_nothing_from_its_cache(
    app: Litestar,
    client: AsyncTestClient[Any],
    programme: Credentials,
    partner_a: Credentials,
    settings: Settings,
) -> None:
    cache = await _listening(app)
    course_id = (await approved(client, partner_a, programme, title="Keselamatan Kerja Konstruksi"))["id"]
    assert "Keselamatan Kerja Konstruksi" in await _titles(client)
    cache.lost()
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("ALTER TABLE courses DISABLE TRIGGER courses_catalogue_changed")
        await conn.execute("UPDATE courses SET title = 'Judul Baru' WHERE id = $1", course_id)
        await conn.execute("ALTER TABLE courses ENABLE TRIGGER courses_catalogue_changed")
    finally:
        await conn.close()
    assert "Judul Baru" in await _titles(client)


def test_a_page_read_before_a_change_is_not_kept_after_it() -> None:
    """A page whose read began before a change (an older generation) is not stored: it may predate the change."""
    cache = PageCache(seconds=10)
    cache.listening()
    began = cache.generation
    cache.clear()  # the change is heard while the page was being read
    cache.store(b"/v1/catalogue/courses?", began, b"{}", b"application/json", now=0.0)
    assert cache.lookup(b"/v1/catalogue/courses?", now=1.0) is None
    cache.store(b"/v1/catalogue/courses?", cache.generation, b"{}", b"application/json", now=0.0)
    assert cache.lookup(b"/v1/catalogue/courses?", now=1.0) is not None
    assert cache.lookup(b"/v1/catalogue/courses?", now=11.0) is None  # older than its TTL


def test_zero_seconds_turns_the_cache_off() -> None:
    cache = PageCache(seconds=0)
    cache.listening()
    cache.store(b"k", cache.generation, b"{}", b"application/json", now=0.0)
    assert cache.lookup(b"k", now=0.5) is None
    assert cache.cache_control == "no-cache"
