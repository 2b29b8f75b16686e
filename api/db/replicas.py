"""Reads that may be served by a streaming replica: the public catalogue and certificate verification.

Everything a partner writes, and everything it reads back, goes to the primary (read-your-writes): only reads
that tolerate a few seconds of staleness and come from anyone (public pages) are routed here. Each process
checks its replicas every `CHECK_INTERVAL_SECONDS`: a replica whose replay is more than the configured lag
behind the primary, that cannot be reached, or that is not in recovery (a promoted server would diverge) is
skipped until a later check finds it fit again. A read that fails on a replica because the replica went away is
run again on the primary, so a dying replica costs a retry, never an error; reads are safe to repeat.

The health of a replica is the one thing each process keeps for itself: it is a cache of a fact any process can
measure again in a second, so two processes disagreeing for a moment changes no answer's correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg

log = logging.getLogger("api.db.replicas")

T = TypeVar("T")

CHECK_INTERVAL_SECONDS = 1.0
CHECK_TIMEOUT_SECONDS = 2.0

# How far behind the primary a replica's replay is, in seconds; NULL when the server is not a replica.
# Caught up (everything received is replayed) counts as 0 even when the last replayed commit is old: an idle
# primary sends nothing to replay.
REPLAY_LAG = """
SELECT CASE
         WHEN NOT pg_is_in_recovery() THEN NULL
         WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0.0
         ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 1e9)
       END
"""

# What a replica going away looks like to asyncpg: the read is repeated on the primary.
REPLICA_GONE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionFailureError,
)

CHECK_FAILED: tuple[type[BaseException], ...] = (*REPLICA_GONE, asyncpg.PostgresError)


@dataclass(slots=True)
class Replica:
    """One replica's pool and what the last check found."""

    name: str
    pool: asyncpg.Pool
    fit: bool = False
    lag_seconds: float | None = None
    checked_at: float = field(default=0.0)


class ReadRouter:
    """Runs read functions on a fit replica when there is one, on the primary otherwise."""

    def __init__(self, primary: asyncpg.Pool, replicas: Sequence[Replica], max_lag_seconds: float) -> None:
        self.primary = primary
        self.replicas = list(replicas)
        self.max_lag_seconds = max_lag_seconds
        self._turn = itertools.count()
        self._checker: asyncio.Task[None] | None = None

    def pick(self) -> Replica | None:
        """The next fit replica in turn, or None when none is fit (or none is configured)."""
        fit = [replica for replica in self.replicas if replica.fit]
        return fit[next(self._turn) % len(fit)] if fit else None

    async def run(self, read: Callable[[asyncpg.pool.PoolConnectionProxy[asyncpg.Record]], Awaitable[T]]) -> T:
        """`read(connection)` on a fit replica, or on the primary when none is fit or the replica fails."""
        replica = self.pick()
        if replica is not None:
            try:
                async with replica.pool.acquire() as connection:
                    return await read(connection)
            except REPLICA_GONE as error:
                replica.fit = False
                log.warning(
                    "replica read failed; reading from the primary",
                    extra={"fields": {"replica": replica.name, "error": type(error).__name__}},
                )
        async with self.primary.acquire() as connection:
            return await read(connection)

    async def check(self) -> None:
        """Measure every replica's lag once and mark which are fit to serve reads."""
        await asyncio.gather(*(self._check_one(replica) for replica in self.replicas))

    async def _check_one(self, replica: Replica) -> None:
        lag: float | None
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), replica.pool.acquire() as connection:
                lag = await connection.fetchval(REPLAY_LAG)
        except CHECK_FAILED:
            lag = None
        was_fit = replica.fit
        replica.lag_seconds, replica.checked_at = lag, time.monotonic()
        replica.fit = lag is not None and lag <= self.max_lag_seconds
        if replica.fit != was_fit:
            log.info(
                "replica %s",
                "in service" if replica.fit else "out of service",
                extra={"fields": {"replica": replica.name, "lag_seconds": lag}},
            )

    async def _check_forever(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(CHECK_INTERVAL_SECONDS)

    async def start(self) -> None:
        """Check the replicas now, then keep checking in the background (nothing to do without replicas)."""
        if self.replicas:
            await self.check()
            self._checker = asyncio.create_task(self._check_forever())

    async def close(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker
        for replica in self.replicas:
            await replica.pool.close()
