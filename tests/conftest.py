"""Fixtures shared by every test: the PostgreSQL server, a migrated database per test, an app client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.testing import AsyncTestClient

from api.app import asgi_app
from api.settings import Settings
from tests.database import create_database, create_template, database_url, drop_database, server_admin_url


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


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, app_env="development", pool_min_size=0, pool_max_size=20)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=asgi_app(settings)) as test_client:  # type: ignore[arg-type]
        yield test_client
