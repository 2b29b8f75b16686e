"""One database refresh at a time per process, its outcome shared by everyone who waited for it.

A per-process cache (the revocation list, the signing keys, a rate-limit lease) is refreshed by the first
request that finds it stale. Requests arriving while that refresh runs must neither start their own nor queue
behind a lock to retry it one after another: when the database does not answer, that turns one timeout into k
timeouts for the k-th request. They all await the refresh already in flight and share its result, exception
included; the next request after it ends starts a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SingleFlight:
    """Runs `refresh` unless one is already running, and waits for whichever is."""

    __slots__ = ("_running",)

    def __init__(self) -> None:
        self._running: asyncio.Future[None] | None = None

    @property
    def running(self) -> bool:
        return self._running is not None

    async def run(self, refresh: Callable[[], Awaitable[None]]) -> None:
        if self._running is None:
            running = asyncio.ensure_future(refresh())
            self._running = running
            running.add_done_callback(self._finished)
        # Shielded: a request that goes away (client disconnect, timeout) leaves the refresh to the others.
        await asyncio.shield(self._running)

    def _finished(self, done: asyncio.Future[None]) -> None:
        self._running = None
        if not done.cancelled():
            done.exception()  # retrieved here too, in case every waiter went away before it ended
