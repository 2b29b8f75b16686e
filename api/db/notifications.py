"""Hearing PostgreSQL's NOTIFY in every process: one dedicated connection per channel, reconnected when lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from api.db.pool import CONNECT_TIMEOUT_SECONDS

log = logging.getLogger("api.db.notifications")

PING_INTERVAL_SECONDS = 5.0
RECONNECT_DELAY_SECONDS = 1.0


class Listener:
    """Calls `on_notify()` for every notification on `channel`, `on_listening()` once it listens, and `on_lost()`
    when it stops (a connection that dies or stops answering a ping is replaced): between `on_lost()` and the
    next `on_listening()` the owner may be missing notifications.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        on_notify: Callable[[], None],
        on_listening: Callable[[], None],
        on_lost: Callable[[], None],
    ) -> None:
        self.url, self.channel = url, channel
        self.on_notify, self.on_listening, self.on_lost = on_notify, on_listening, on_lost
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("listener lost", extra={"fields": {"channel": self.channel, "error": type(error).__name__}})
            self.on_lost()
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            # A connection the server closes is known lost at once; one that goes silent, at the next ping.
            conn.add_termination_listener(lambda *_: self.on_lost())
            await conn.add_listener(self.channel, lambda *_: self.on_notify())
            self.on_listening()
            while not conn.is_closed():
                await asyncio.sleep(PING_INTERVAL_SECONDS)
                await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=1)
