"""Public reads scale out on a real streaming replica; partners read their own writes; a lost replica costs nothing.

One primary and one hot standby (`pg_basebackup -R`, streaming replication) made from the project's own
PostgreSQL binaries. The catalogue is served from the replica: with replay paused, a course approved on the
primary is missing from the catalogue while its partner already reads it back (from the primary). A replica
lagging past the bound is skipped, and a killed replica makes the catalogue fall back to the primary without one
failed request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.db.migrations import migrate
from api.db.replicas import ReadRouter
from api.http.request_context import RequestContext
from api.settings import Settings
from tests.auth import Credentials, onboard_partner, programme_credentials
from tests.conftest import settings_for
from tests.factories import course_body
from tests.replication import Server, streaming_pair

pytestmark = pytest.mark.slow

DATABASE = "replicated"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    with streaming_pair(tmp_path_factory.mktemp("replication")) as servers:
        primary, _ = servers
        asyncio.run(_create_and_migrate(primary.url()))
        yield servers


async def _create_and_migrate(admin_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await conn.close()
    await migrate(admin_url.rsplit("/", 1)[0] + f"/{DATABASE}")


@pytest.fixture
def replicated_settings(pair: tuple[Server, Server]) -> Settings:
    primary, replica = pair
    return replace(
        settings_for(primary.url(DATABASE)),
        database_replica_urls=(replica.url(DATABASE),),
        replica_max_lag_seconds=30.0,
        catalogue_cache_seconds=0,  # where each read goes is the point here, not the page cache
    )


@pytest.fixture
async def api(replicated_settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(replicated_settings)
    async with AsyncTestClient(app=RequestContext(app)) as client:  # type: ignore[arg-type]
        client.app_state = app.state  # type: ignore[attr-defined]
        yield client


async def _replica_sql(replica: Server, statement: str) -> Any:
    conn = await asyncpg.connect(replica.url(DATABASE))
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


async def _approved_course(
    client: AsyncTestClient[Any], programme: Credentials, partner: Credentials, title: str
) -> str:
    created = await client.post("/v1/courses", json=course_body(title=title), headers=partner.headers)
    assert created.status_code == 201, created.text
    course_id: str = created.json()["id"]
    submitted = await client.post(f"/v1/courses/{course_id}/submit", headers=partner.headers)
    assert submitted.status_code in (200, 201), submitted.text
    approved = await client.post(f"/v1/programme/courses/{course_id}/approve", headers=programme.headers)
    assert approved.status_code in (200, 201), approved.text
    return course_id


async def _catalogue_ids(client: AsyncTestClient[Any]) -> set[str]:
    response = await client.get("/v1/catalogue/courses", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def _until(condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def test_catalogue_reads_the_replica_and_falls_back_to_the_primary(
    api: AsyncTestClient[Any], replicated_settings: Settings, pair: tuple[Server, Server]
) -> None:
    _, replica = pair
    router: ReadRouter = api.app_state.reads  # type: ignore[attr-defined]
    programme = await programme_credentials(api, replicated_settings)
    partner = await onboard_partner(api, programme, "Replica Partner")

    first = await _approved_course(api, programme, partner, "Dasar Akuntansi UMKM")

    async def replica_has_first() -> bool:
        return first in await _catalogue_ids(api) and router.pick() is not None

    await _until(replica_has_first)

    # Replay stops on the replica: what the primary commits now does not reach it.
    await _replica_sql(replica, "SELECT pg_wal_replay_pause()")
    second = await _approved_course(api, programme, partner, "Desain Grafis untuk Pemula")

    # The partner reads its own write back at once: partner reads go to the primary.
    own = await api.get(f"/v1/courses/{second}", headers=partner.headers)
    assert own.status_code == 200
    assert own.json()["status"] == "approved"
    # The public catalogue comes from the replica, which has not replayed the approval.
    assert router.pick() is not None
    listed = await _catalogue_ids(api)
    assert first in listed
    assert second not in listed
    assert (await api.get(f"/v1/catalogue/courses/{second}")).status_code == 404

    # Past the lag bound the replica is skipped and the primary answers, with the new course.
    router.max_lag_seconds = 1.0

    async def replica_skipped() -> bool:
        return router.pick() is None

    await _until(replica_skipped)
    assert second in await _catalogue_ids(api)

    # Replay resumes: the replica catches up and serves again.
    await _replica_sql(replica, "SELECT pg_wal_replay_resume()")
    router.max_lag_seconds = 30.0

    async def replica_back() -> bool:
        return router.pick() is not None and second in await _catalogue_ids(api)

    await _until(replica_back)

    # The replica dies: not one catalogue request fails, and the replica leaves service.
    replica.stop("immediate")
    answers = [await api.get("/v1/catalogue/courses") for _ in range(20)]
    answers += [await api.get(f"/v1/catalogue/courses/{second}") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 25
    assert {first, second} <= await _catalogue_ids(api)
    assert router.pick() is None


def test_without_replicas_every_read_uses_the_primary() -> None:
    """No DATABASE_REPLICA_URL: the router has nothing to pick and reads run on the primary pool."""
    settings = Settings.from_env({"DATABASE_URL": "postgresql://127.0.0.1/x"})
    assert settings.database_replica_urls == ()
    several = Settings.from_env({"DATABASE_REPLICA_URL": "postgresql://a/x, postgresql://b/x"})
    assert several.database_replica_urls == ("postgresql://a/x", "postgresql://b/x")
    assert ReadRouter(primary=None, replicas=[], max_lag_seconds=5).pick() is None  # type: ignore[arg-type]
