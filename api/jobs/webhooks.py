"""The webhook delivery worker: drains the queue the `events` trigger fills, at least once, signed.

How a delivery travels:
1. The change's transaction inserts the event; a trigger queues a delivery per matching endpoint and NOTIFYs
   `webhook_deliveries`, which PostgreSQL sends only when (and if) that transaction commits.
2. A worker wakes (LISTEN on its own connection; polling is the fallback and also serves retries that fall
   due), claims a batch with FOR UPDATE SKIP LOCKED in one autocommitted statement that pushes each row's
   `next_attempt_at` out by a lease, and only then makes its HTTP calls. Any number of workers share the
   queue; a worker killed mid-call leaves its rows due again when the lease ends (at least once: receivers
   deduplicate on `webhook-id`).
3. It records each outcome: delivered; due again after an exponential, jittered delay; or, once the retry
   window (24 h) has passed, failed, which marks the endpoint `failing` until a later delivery succeeds.

Outbound safety: the client never follows redirects, ignores proxy settings from the environment, bounds
connecting and reading (and the whole attempt), reads at most RESPONSE_CAP bytes of a response, and outside
development and sandbox resolves each host itself at connect time and refuses private, loopback,
link-local and metadata addresses, then connects to the address it checked (no second lookup to rebind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg
import httpcore
import httpx

from api.services import webhooks
from api.services.clock import wall_clock
from api.settings import Settings
from domain import webhooks as rules
from domain.errors import ValidationFailed

log = logging.getLogger("api.jobs.webhooks")

CHANNEL = "webhook_deliveries"
RESPONSE_CAP = 2048  # bytes of a receiver's answer we read and keep
MAX_IN_FLIGHT = 16  # attempts one worker runs at once (httpcore's pool slows down with many more)
LISTEN_CHECK_SECONDS = 30.0
NEXT_DUE = """
SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 FROM webhook_deliveries WHERE status = 'pending'
"""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking every destination at the moment of connecting."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.allow_private:
            # Development and sandbox: any address but a cloud metadata service; the name is connected to as given
            # (happy eyeballs over all its addresses, as a partner's `localhost` receiver expects).
            await webhooks.resolve_allowed(host, port, allow_private=True, timeout=timeout)
        else:
            # Connect to an address we checked; TLS still verifies the certificate against the host name.
            host = (await webhooks.resolve_allowed(host, port, allow_private=False, timeout=timeout))[0]
        return await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise webhooks.DestinationRefused("webhooks are never sent to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def outbound_client(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client deliveries go through (see the module docstring for what it refuses)."""
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT, keepalive_expiry=5.0)
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
    # httpx has no public hook for the network backend; the pool below is the one it builds, plus ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private=not settings.is_production),
    )
    timeout = httpx.Timeout(
        connect=settings.webhook_connect_timeout_seconds,
        read=settings.webhook_read_timeout_seconds,
        write=settings.webhook_read_timeout_seconds,
        pool=settings.webhook_connect_timeout_seconds,
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


class DeliveryWorker:
    """Delivers due webhooks from `pool` until cancelled; safe to run in any number of processes at once.

    A pipeline, so that one slow receiver never holds up the others: up to MAX_IN_FLIGHT attempts run at once,
    each claimed as soon as there is room, and finished attempts are recorded in bulk by one recorder.
    """

    def __init__(self, pool: asyncpg.Pool, settings: Settings, kek: bytes) -> None:
        self.pool, self.settings, self.kek = pool, settings, kek
        self.attempt_seconds = settings.webhook_connect_timeout_seconds + settings.webhook_read_timeout_seconds
        # Longer than any attempt can take, so a live worker always records its outcome before a reclaim.
        self.lease_seconds = 2 * self.attempt_seconds + 1.0
        self.poll_seconds = settings.worker_interval_seconds

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Claim one batch of due deliveries, send them concurrently, record the outcomes; how many were claimed."""
        async with self.pool.acquire() as conn:
            claimed = await webhooks.claim_due(conn, self.kek, MAX_IN_FLIGHT, self.lease_seconds)
        results = await asyncio.gather(*(self.attempt(client, delivery) for delivery in claimed))
        if results:
            async with self.pool.acquire() as conn:
                await webhooks.record_outcomes(conn, list(results))
        return len(claimed)

    async def attempt(self, client: httpx.AsyncClient, delivery: webhooks.Claimed) -> webhooks.Recorded:
        """Send once and decide what comes next: nothing, a retry after a growing delay, or giving up."""
        outcome = await self.send(client, delivery)
        retry_in = None
        if not outcome.succeeded and not rules.gives_up(
            delivery.age_seconds, retry_window_seconds=self.settings.webhook_retry_window_seconds
        ):
            retry_in = rules.retry_delay(
                delivery.attempts,
                base_seconds=self.settings.webhook_retry_base_seconds,
                cap_seconds=self.settings.webhook_retry_cap_seconds,
                jitter=random.uniform(0.75, 1.0),  # noqa: S311 - spreading retries, not a secret
            )
        return webhooks.Recorded(delivery=delivery, outcome=outcome, retry_in=retry_in)

    async def send(self, client: httpx.AsyncClient, delivery: webhooks.Claimed) -> webhooks.Outcome:
        """One signed POST of the delivery's envelope; never raises for anything the receiver or network does."""
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "prakerja-partner-api-webhooks/1",
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": rules.signature_header(delivery.secrets, delivery.event_id, timestamp, delivery.body),
        }
        attempted_at, started = wall_clock(), time.monotonic()
        status_code = None
        body = b""
        error = None
        try:
            rules.check_url(delivery.url, production=self.settings.is_production)
            async with asyncio.timeout(self.attempt_seconds):
                async with client.stream("POST", delivery.url, content=delivery.body, headers=headers) as response:
                    status_code = response.status_code
                    async for chunk in response.aiter_raw():
                        body += chunk
                        if len(body) >= RESPONSE_CAP:
                            break
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except ValidationFailed as exc:
            error = exc.detail
        except webhooks.DestinationRefused as exc:
            error = f"refused: {exc}"
        except (TimeoutError, httpx.TimeoutException):
            error = "timed out"
        except (httpx.HTTPError, OSError) as exc:
            error = f"connection failed: {type(exc).__name__}"
        latency_ms = round((time.monotonic() - started) * 1000)
        return webhooks.Outcome(
            attempted_at=attempted_at,
            latency_ms=latency_ms,
            status_code=status_code,
            error=error[:500] if error else None,
            response_body=body[:RESPONSE_CAP].decode("utf-8", errors="replace") if status_code is not None else None,
        )

    async def run_forever(self) -> None:
        """Deliver until cancelled: at once on NOTIFY, else when the next retry falls due, at least every poll."""
        wake = asyncio.Event()
        finished: asyncio.Queue[webhooks.Recorded] = asyncio.Queue()
        in_flight: set[asyncio.Task[None]] = set()

        async def run(client: httpx.AsyncClient, delivery: webhooks.Claimed) -> None:
            finished.put_nowait(await self.attempt(client, delivery))

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            if len(in_flight) == MAX_IN_FLIGHT - 1:
                wake.set()  # there is room again

        helpers = [
            asyncio.create_task(self._listen(wake)),
            asyncio.create_task(self._record_forever(finished, wake)),
        ]
        try:
            async with outbound_client(self.settings) as client:
                while True:
                    wake.clear()  # before claiming: a NOTIFY during the claim makes the wait below return at once
                    wait = self.poll_seconds
                    try:
                        room = MAX_IN_FLIGHT - len(in_flight)
                        if room > 0:
                            async with self.pool.acquire() as conn:
                                claimed = await webhooks.claim_due(conn, self.kek, room, self.lease_seconds)
                                # Only an idle worker needs to know when the next retry is due.
                                due_in = await conn.fetchval(NEXT_DUE) if not claimed else None
                            for delivery in claimed:
                                task = asyncio.create_task(run(client, delivery))
                                in_flight.add(task)
                                task.add_done_callback(done)
                            if len(claimed) == room:
                                continue
                            if due_in is not None:
                                wait = min(wait, max(due_in, 0.0))
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("claiming webhook deliveries failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), timeout=wait)
        finally:
            for task in [*in_flight, *helpers]:
                task.cancel()
            await asyncio.gather(*in_flight, *helpers, return_exceptions=True)

    async def _record_forever(self, finished: asyncio.Queue[webhooks.Recorded], wake: asyncio.Event) -> None:
        """Write finished attempts as they come, everything queued in one statement. Outcomes lost to a crash
        are not lost deliveries: their leases run out and they are sent again."""
        while True:
            results = [await finished.get()]
            while not finished.empty():
                results.append(finished.get_nowait())
            try:
                async with self.pool.acquire() as conn:
                    await webhooks.record_outcomes(conn, results)
                if any(result.retry_in is not None for result in results):
                    wake.set()  # the claiming loop learns when the retries fall due
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("recording webhook outcomes failed; those deliveries go again after their lease")

    async def _listen(self, wake: asyncio.Event) -> None:
        """LISTEN on a connection of its own (pooled ones are shared), reconnecting when it drops."""
        assert self.settings.database_url is not None
        while True:
            try:
                async with self._listening(wake) as conn:
                    while True:
                        await asyncio.sleep(LISTEN_CHECK_SECONDS)
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("webhook listener lost its connection; polling until it is back")
                wake.set()
                await asyncio.sleep(self.poll_seconds)

    @contextlib.asynccontextmanager
    async def _listening(self, wake: asyncio.Event) -> AsyncIterator[asyncpg.Connection]:
        assert self.settings.database_url is not None
        conn = await asyncpg.connect(self.settings.database_url, timeout=10)
        try:
            await conn.add_listener(CHANNEL, lambda *_: wake.set())
            wake.set()  # anything queued before we listened
            yield conn
        finally:
            await conn.close(timeout=2)
