"""Per-request dependencies: a pooled connection, and one transaction per write request."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from litestar.datastructures import State

if TYPE_CHECKING:
    # What handlers and repositories receive: a pooled connection, or a plain one (the CLI and the worker's
    # callers connect without a pool); both have the same query methods.
    Connection: TypeAlias = asyncpg.pool.PoolConnectionProxy[asyncpg.Record] | asyncpg.Connection[asyncpg.Record]
else:
    Connection = asyncpg.pool.PoolConnectionProxy


async def provide_transaction(state: State) -> AsyncGenerator[Connection, None]:
    """A connection inside a transaction: committed when the handler returns, rolled back when it raises."""
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as connection, connection.transaction():
        yield connection


async def provide_connection(state: State) -> AsyncGenerator[Connection, None]:
    """A connection for reads that need no transaction (one statement, or snapshot-insensitive)."""
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as connection:
        yield connection
