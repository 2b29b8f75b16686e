"""Where the database is: the given DATABASE_URL, or an embedded PostgreSQL from `pgserver` in the data folder."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Any

import asyncpg

from api.settings import Settings

log = logging.getLogger("api.db.pool")

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


# How long a request may wait on the database before it is answered 503 `service_unavailable` (api/http/errors.py,
# DATABASE_UNAVAILABLE), so that a database that is down, restarting, cut off by the network, or too busy never
# leaves a client hanging. The worst case, a connection that stops answering mid-transaction, costs one command
# timeout for the statement and one more for asyncpg's cancel attempt before it drops the connection: under 20 s.
CONNECT_TIMEOUT_SECONDS = 5.0  # opening one connection (TCP, TLS, authentication)
ACQUIRE_TIMEOUT_SECONDS = 8.0  # getting a pooled connection: waiting for a free one, or opening a new one
RELEASE_TIMEOUT_SECONDS = 2.0  # handing it back (its reset); a connection that cannot be reset is dropped
STATEMENT_TIMEOUT_MS = 8_000  # the server cancels a longer statement (QueryCanceledError)...
LOCK_TIMEOUT_MS = 5_000  # ...or a longer lock wait (LockNotAvailableError)
COMMAND_TIMEOUT_SECONDS = 9.0  # the client gives up on a server that does not answer at all (TimeoutError)


class BoundedPool(asyncpg.Pool):
    """An asyncpg pool whose `acquire()` and release never wait longer than the limits above (asyncpg's default
    is to wait forever for a free connection)."""

    def acquire(self, *, timeout: float | None = None) -> asyncpg.pool.PoolAcquireContext:
        return super().acquire(timeout=ACQUIRE_TIMEOUT_SECONDS if timeout is None else timeout)

    async def release(
        self,
        connection: asyncpg.pool.PoolConnectionProxy,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - asyncpg's own signature
    ) -> None:
        await super().release(connection, timeout=RELEASE_TIMEOUT_SECONDS if timeout is None else timeout)


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset on release, after asyncpg has rolled back any open transaction: nothing more.

    asyncpg's default reset runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, one more round trip per request. None of it is needed: no code here takes session-level advisory
    locks, declares cursors outside a transaction, listens, or changes a session setting (only `SET LOCAL` and
    `pg_advisory_xact_lock`, which end with their transaction).
    """


async def create_pool(settings: Settings, url: str | None = None, **overrides: Any) -> asyncpg.Pool:
    """A connection pool with the session settings and time limits every request relies on.

    It connects to the primary (`settings.database_url`) unless `url` names another server (a replica).
    """
    url = url or settings.database_url
    assert url is not None, "resolve_database_url() first"
    options: dict[str, Any] = {
        "min_size": settings.pool_min_size,
        "max_size": settings.pool_max_size,
        # asyncpg.create_pool() fills these in; its Pool class, constructed directly here, has no defaults.
        "max_queries": 50_000,
        "max_inactive_connection_lifetime": 300.0,
        "loop": None,
        "connection_class": asyncpg.Connection,
        "record_class": asyncpg.Record,
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "command_timeout": COMMAND_TIMEOUT_SECONDS,
        "reset": keep_session,
        "server_settings": {
            "application_name": "prakerja-api",
            "timezone": "UTC",
            "statement_timeout": str(STATEMENT_TIMEOUT_MS),
            "lock_timeout": str(LOCK_TIMEOUT_MS),
            "idle_in_transaction_session_timeout": "60000",
        },
    }
    options.update(overrides)
    pool = BoundedPool(url, **options)
    await pool  # connects min_size connections
    return pool
