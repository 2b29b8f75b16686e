"""Per-request dependencies: a pooled connection, and one transaction per write request."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from litestar.datastructures import State

if TYPE_CHECKING:
    # What handlers and repositories receive: a pooled connection, or a plain one (the CLI and the worker's
    # callers connect without a pool); both have the same query methods.
    Connection: TypeAlias = asyncpg.pool.PoolConnectionProxy[asyncpg.Record] | asyncpg.Connection[asyncpg.Record]
else:
    Connection = asyncpg.pool.PoolConnectionProxy


@asynccontextmanager
async def transaction(state: State) -> AsyncIterator[Connection]:
    """A pooled connection inside a transaction: committed when the block ends, rolled back when it raises.

    The `tx` dependency; a hot handler that skips dependency injection opens it itself (api/routes/vouchers.py).
    """
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as connection, connection.transaction():
        yield connection


async def provide_transaction(state: State) -> AsyncGenerator[Connection, None]:
    """A connection inside a transaction: committed when the handler returns, rolled back when it raises."""
    async with transaction(state) as connection:
        yield connection


async def provide_connection(state: State) -> AsyncGenerator[Connection, None]:
    """A connection for reads that need no transaction (one statement, or snapshot-insensitive)."""
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as connection:
        yield connection
