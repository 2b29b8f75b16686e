"""Fixtures shared by every test: the PostgreSQL server, a migrated database per test, an app client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.http.request_context import RequestContext
from api.settings import Settings
from tests.auth import Credentials, onboard_partner, programme_credentials
from tests.database import create_database, create_template, database_url, drop_database, server_admin_url
from tests.live_server import serving


@pytest.fixture(scope="session")
def admin_url() -> str:
    return server_admin_url()


@pytest.fixture(scope="session")
def template_database(admin_url: str) -> Iterator[str]:
    name = create_template(admin_url)
    yield name
    drop_database(admin_url, name)


@pytest.fixture
def db_url(admin_url: str, template_database: str) -> Iterator[str]:
    """A migrated database of this test's own, dropped afterwards."""
    name = create_database(admin_url, template=template_database)
    yield database_url(admin_url, name)
    drop_database(admin_url, name)


@pytest.fixture
def empty_db_url(admin_url: str) -> Iterator[str]:
    """A database with no migrations applied."""
    name = create_database(admin_url)
    yield database_url(admin_url, name)
    drop_database(admin_url, name)


TEST_KEY_ENCRYPTION_KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_for(db_url)


def settings_for(db_url: str) -> Settings:
    """What every test app runs with (development mode, fast secret hashing, a fixed key, and per-address limits
    out of the way: every test request comes from one address; tests/security/ sets them where it tests them).

    The catalogue page cache is off: a change empties it through NOTIFY, a few milliseconds after the commit,
    and tests that read the catalogue right after a change would race that; test_catalogue_cache.py and the
    public-limits test turn it on."""
    return Settings(
        database_url=db_url,
        app_env="development",
        pool_min_size=0,
        pool_max_size=20,
        key_encryption_key=TEST_KEY_ENCRYPTION_KEY,
        secret_hash_profile="fast",
        public_url="http://testserver.local",
        token_address_limit_per_minute=100_000,
        public_limit_per_minute=100_000,
        catalogue_cache_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The Litestar app under test (its `state` holds the pool and the key ring once the client started it)."""
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=RequestContext(app)) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
async def programme(client: AsyncTestClient, settings: Settings) -> Credentials:  # type: ignore[type-arg]
    """A programme (portal) client with every programme scope, made the bootstrap way."""
    return await programme_credentials(client, settings)


@pytest.fixture
async def partner_a(client: AsyncTestClient, programme: Credentials) -> Credentials:  # type: ignore[type-arg]
    return await onboard_partner(client, programme, "Partner A")


@pytest.fixture
async def partner_b(client: AsyncTestClient, programme: Credentials) -> Credentials:  # type: ignore[type-arg]
    return await onboard_partner(client, programme, "Partner B")


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """The app served by a real Uvicorn on a free port in a background thread: real sockets, real concurrency.

    (AsyncTestClient handles one request at a time, so concurrency tests go through this instead.)
    """
    with serving(settings) as url:
        yield url
