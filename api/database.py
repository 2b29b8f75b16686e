"""Where the database is: the given DATABASE_URL, or an embedded PostgreSQL from `pgserver` in the data folder."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

import asyncpg

from api.settings import Settings

log = logging.getLogger("api.database")

EMBEDDED_DATABASE = "prakerja"
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def embedded_server_url(data_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir/pg` and return a URL for `database`.

    The server outlives this process so the next `make run` or test run reuses it at once; it stops
    when the last process that asked for it exits (pgserver counts its users by pid).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver warns when XDG_RUNTIME_DIR is unset; harmless here
        import pgserver  # imported lazily: a deployment with DATABASE_URL never touches it

        server = pgserver.get_server(  # type: ignore[attr-defined]
            data_dir.resolve() / "pg", cleanup_mode="stop"
        )
    admin_url: str = server.get_uri()
    if not _DATABASE_NAME.match(database):
        raise ValueError(f"not a plain database name: {database!r}")
    if database != "postgres":
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    url: str = server.get_uri(database)
    log.info("embedded postgresql ready", extra={"fields": {"data_dir": str(data_dir)}})
    return url if database != "postgres" else admin_url


def resolve_database_url(settings: Settings) -> Settings:
    """Settings whose `database_url` is concrete: the configured one, or the embedded server's."""
    if settings.database_url is not None:
        return settings
    return settings.with_database_url(embedded_server_url(settings.data_dir))


async def create_pool(settings: Settings, **overrides: Any) -> asyncpg.Pool:
    """A connection pool with the session settings every request relies on."""
    assert settings.database_url is not None, "resolve_database_url() first"
    options: dict[str, Any] = {
        "min_size": settings.pool_min_size,
        "max_size": settings.pool_max_size,
        "command_timeout": 30,
        "server_settings": {
            "application_name": "prakerja-api",
            "timezone": "UTC",
            # A request never waits forever: long statements and lock waits fail fast and are mapped to 503/409.
            "statement_timeout": "15000",
            "lock_timeout": "5000",
            "idle_in_transaction_session_timeout": "60000",
        },
    }
    options.update(overrides)
    pool: asyncpg.Pool = await asyncpg.create_pool(settings.database_url, **options)
    return pool
