"""Test databases: migrate once into a template, clone it per test (fast, isolated, real PostgreSQL).

With DATABASE_URL set the given server is used (databases are created and dropped there);
otherwise the embedded pgserver under `.data/` is.

Safe under pytest-xdist (`make test` runs `pytest -n auto`): pgserver starts or joins the one server under an
interprocess lock and stops it when its last user exits; every worker migrates a template of its own (random
name) and clones a database per test from it, so no two processes ever touch one database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api.db.migrations import migrate
from api.db.pool import embedded_server_url

REPO_ROOT = Path(__file__).resolve().parent.parent


def server_admin_url() -> str:
    """A URL to a maintenance database of the server the tests use."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return embedded_server_url(REPO_ROOT / ".data", database="postgres")


def database_url(admin_url: str, name: str) -> str:
    """The same server, another database."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def create_database(admin_url: str, *, template: str | None = None, prefix: str = "t") -> str:
    """Create a fresh database (optionally a clone of `template`) and return its name."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    clause = f" TEMPLATE {template}" if template else ""
    asyncio.run(_admin(admin_url, f"CREATE DATABASE {name}{clause}"))
    return name


def drop_database(admin_url: str, name: str) -> None:
    asyncio.run(_admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def create_template(admin_url: str) -> str:
    """A migrated database to clone tests from."""
    name = create_database(admin_url, prefix="tpl")
    asyncio.run(migrate(database_url(admin_url, name)))
    return name


async def fetch(db_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """The rows of one query, on a connection of its own."""
    conn = await asyncpg.connect(db_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
