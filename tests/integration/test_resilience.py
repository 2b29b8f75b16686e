"""Proof under stress: the database going away, a graceful shutdown, and several API processes on one database.

What a partner relies on, shown against real servers (an in-thread Uvicorn, or `python -m api serve` processes):

- when PostgreSQL is unreachable (restarted, or cut off by a network partition) every database-backed request is
  answered 503 `service_unavailable` with `Retry-After` within MAX_WAIT_SECONDS, never a 500 and never a hang, and
  the API serves again by itself once the database is back;
- redemptions under load, while backends are terminated and the database "restarts", happen exactly once: a
  client that retries with the same Idempotency-Key gets one enrollment, one payable statement line, balanced ledgers;
- SIGTERM drains: requests already being served finish with a full response, then the process exits 0;
- two processes on one database still redeem a voucher once, and one key still acts once.

A last test pins a defect found on the way and fixed (requests queued behind a failing cache refresh, each waiting
one more database timeout than the one before it; api/auth/single_flight.py now shares the refresh in flight).

Faults are injected by a TCP proxy between the API and PostgreSQL (`DatabaseProxy`), which works the same for the
embedded server (a unix socket) and for an external one (DATABASE_URL, TCP).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.db import pool as database
from api.settings import Settings
from tests.auth import Credentials
from tests.courses import approved
from tests.database import fetch
from tests.live_server import serving, serving_process
from tests.money import ledger_consistent, sold_voucher

# Timing bounds (MAX_WAIT_SECONDS) and several server processes: run alone, after the parallel run of `make test`.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

Client = AsyncTestClient[Any]

MAX_WAIT_SECONDS = 20.0  # no client waits longer than this for an answer, whatever the database does
RECOVERY_SECONDS = 30.0  # requests succeed again at most this long after the database is back
RETRY_PAUSE_SECONDS = 0.1  # clients retry sooner than Retry-After asks, so the tests stay short


# --- a database that can go away -------------------------------------------------------------------------------


class DatabaseProxy:
    """A TCP proxy in front of the tests' PostgreSQL, run in a thread of its own, that a test can cut and restore.

    - `cut()`: the server goes away (a restart, a crash): open connections are dropped, new ones refused.
    - `partition()`: the network stops delivering: bytes on open connections stop flowing both ways and new
      connections are accepted but never answered (the case only timeouts can end).
    - `restore()`: the server is reachable again; held connections are dropped, stalled ones flow again.
    """

    def __init__(self, database_url: str) -> None:
        self._parts = urlsplit(database_url)
        query = dict(parse_qsl(self._parts.query))
        host = query.pop("host", None) or self._parts.hostname or "localhost"
        port = int(query.pop("port", None) or self._parts.port or 5432)
        # libpq's convention: a host that is a directory names the unix socket `<dir>/.s.PGSQL.<port>`.
        self._socket_path = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else None
        self._address = (host, port)
        self._query = urlencode(query)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="database-proxy", daemon=True)
        self._listener: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._partitioned = False
        self.port = 0

    @property
    def url(self) -> str:
        """The same database, reached through this proxy."""
        userinfo, at, _ = self._parts.netloc.rpartition("@")
        return urlunsplit(self._parts._replace(netloc=f"{userinfo}{at}127.0.0.1:{self.port}", query=self._query))

    def start(self) -> None:
        self._thread.start()
        self._run(self._listen())

    def close(self) -> None:
        self._run(self._drop(listen=False))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def cut(self) -> None:
        self._run(self._drop(listen=False))

    def partition(self) -> None:
        self._run(self._stall())

    def restore(self) -> None:
        self._run(self._restore())

    @contextlib.contextmanager
    def outage(self, kind: str) -> Iterator[None]:
        self.cut() if kind == "restart" else self.partition()
        try:
            yield
        finally:
            self.restore()

    def _run(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._flowing.set()
        self._listener = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def _drop(self, *, listen: bool) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for writer in [*self._open, *self._held]:
            writer.transport.abort()
        self._open.clear()
        self._held.clear()
        if listen:
            await self._listen()

    async def _stall(self) -> None:
        self._partitioned = True
        self._flowing.clear()

    async def _restore(self) -> None:
        self._partitioned = False
        for writer in self._held:
            writer.transport.abort()
        self._held.clear()
        if self._listener is None:
            await self._listen()
        self._flowing.set()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._partitioned:
            self._held.add(client_writer)  # accepted, never answered
            return
        try:
            if self._socket_path is not None:
                server_reader, server_writer = await asyncio.open_unix_connection(self._socket_path)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self._address)
        except OSError:
            client_writer.transport.abort()
            return
        self._open.update((client_writer, server_writer))
        await asyncio.gather(
            self._pump(client_reader, server_writer, client_writer),
            self._pump(server_reader, client_writer, server_writer),
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, other: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (OSError, RuntimeError):
            pass
        finally:
            for end in (writer, other):
                end.transport.abort()
                self._open.discard(end)


async def terminate_backends(db_url: str) -> int:
    """What an operator (or a failover) does to every session of the test database but this one."""
    conn = await asyncpg.connect(db_url)
    try:
        terminated: int = await conn.fetchval(
            """SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
        return terminated
    finally:
        await conn.close()


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
async def course(client: Client, partner_a: Credentials, programme: Credentials) -> dict[str, Any]:
    """An approved self-paced course of partner A at Rp 1,500,000."""
    return await approved(client, partner_a, programme)


@pytest.fixture
def proxy(db_url: str) -> Iterator[DatabaseProxy]:
    running = DatabaseProxy(db_url)
    running.start()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def proxied_url(settings: Settings, proxy: DatabaseProxy) -> Iterator[str]:
    """The app served by a real Uvicorn whose database connections all go through `proxy`."""
    with serving(settings.with_database_url(proxy.url)) as url:
        yield url


# --- 1. an unreachable database is 503, never 500 or a hang, and the API recovers by itself ---------------------


@dataclass
class Answer:
    """One request as a client lived it: the response (or the transport error) and how long it took."""

    name: str
    seconds: float
    response: httpx.Response | None = None
    error: Exception | None = None

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code


async def timed(name: str, request: Awaitable[httpx.Response]) -> Answer:
    started = time.monotonic()
    try:
        response = await request
    except httpx.TransportError as exc:
        return Answer(name, time.monotonic() - started, error=exc)
    return Answer(name, time.monotonic() - started, response=response)


def assert_unavailable(answer: Answer) -> None:
    assert answer.response is not None, f"{answer.name}: {answer.error!r}"
    response = answer.response
    assert response.status_code == 503, f"{answer.name}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert answer.seconds < MAX_WAIT_SECONDS, f"{answer.name} waited {answer.seconds:.1f} s"


@pytest.mark.parametrize("outage", ["restart", "partition"])
async def test_an_unreachable_database_is_a_prompt_503_and_the_api_recovers_by_itself(
    outage: str,
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    db_url: str,
    proxy: DatabaseProxy,
    proxied_url: str,
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    code = voucher["code"]
    redeem_headers = {**partner_a.headers, "Idempotency-Key": f"outage-{code}"}

    def probes(live: httpx.AsyncClient) -> dict[str, Callable[[], Awaitable[httpx.Response]]]:
        """Database-backed requests of every kind: probe, public read, authenticated read, OAuth, keyed write."""
        return {
            "ready": lambda: live.get("/health/ready"),
            # (a query no page cache has seen: this probe is about reads that need the database)
            "catalogue": lambda: live.get("/v1/catalogue/courses", params={"category": secrets.token_hex(6)}),
            # (the programme's client: two requests of one client during the outage would queue, see the last test)
            "voucher": lambda: live.get(f"/v1/programme/vouchers/{code}", headers=programme.headers),
            "token": lambda: live.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(partner_a.client_id, partner_a.client_secret),
            ),
            "redeem": lambda: live.post(
                f"/v1/vouchers/{code}/redeem", json={"learner_ref": "outage"}, headers=redeem_headers
            ),
        }

    async with httpx.AsyncClient(base_url=proxied_url, timeout=60) as live:
        requests = probes(live)
        warm = await asyncio.gather(*(requests[name]() for name in ("ready", "catalogue", "voucher", "token")))
        assert [r.status_code for r in warm] == [200] * 4  # and the pool now holds open connections

        with proxy.outage(outage):
            answers = await asyncio.gather(*(timed(name, request()) for name, request in requests.items()))
            for answer in answers:
                assert_unavailable(answer)
            assert (await live.get("/health/live")).status_code == 200  # alive, only not ready

        recovered = time.monotonic()
        while True:
            back = await asyncio.gather(*(timed(name, requests[name]()) for name in ("ready", "catalogue", "voucher")))
            if all(answer.status == 200 for answer in back):
                break
            assert time.monotonic() - recovered < RECOVERY_SECONDS, [(a.name, a.status, a.error) for a in back]
            await asyncio.sleep(RETRY_PAUSE_SECONDS)
        assert back[2].response is not None
        assert back[2].response.json()["status"] == "sold", "the redemption answered 503 did not happen"

        redeemed = await requests["redeem"]()  # the partner's retry, same key
        assert redeemed.status_code == 201, redeemed.text
        assert (await requests["token"]()).status_code == 200
    rows = await fetch(db_url, "SELECT id FROM enrollments WHERE voucher_code = $1", code)
    assert [r["id"] for r in rows] == [redeemed.json()["id"]]


# --- 2. exactly once while backends are terminated and the database restarts under redemption load -------------


@dataclass
class Redemption:
    """One partner redeeming one voucher the way examples/partner_client.py does: one key, reused by retries."""

    code: str
    key: str
    attempts: list[Answer] = field(default_factory=list)

    @property
    def final(self) -> httpx.Response | None:
        return self.attempts[-1].response if self.attempts else None


def in_progress(response: httpx.Response) -> bool:
    return response.status_code == 409 and response.json()["code"] == "idempotency_request_in_progress"


def retryable(answer: Answer) -> bool:
    """What a partner retries with the same key: a network error, a 503, or the same key still in progress."""
    return answer.response is None or answer.status == 503 or in_progress(answer.response)


async def redeem_with_retries(
    live: httpx.AsyncClient, partner: Credentials, code: str, *, deadline: float
) -> Redemption:
    """Redeem until answered 201 or refused for good (or `deadline` passes), retrying with the same key."""
    redemption = Redemption(code, key=f"redeem-{code}")
    headers = {**partner.headers, "Idempotency-Key": redemption.key}
    body = {"learner_ref": f"learner-{code}"}
    while True:
        answer = await timed(code, live.post(f"/v1/vouchers/{code}/redeem", json=body, headers=headers))
        redemption.attempts.append(answer)
        if not retryable(answer) or time.monotonic() > deadline:
            return redemption
        await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def until(condition: Callable[[], bool], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the awaited condition never came"
        await asyncio.sleep(0.01)


async def test_redemptions_stay_exactly_once_through_terminated_backends_and_a_database_restart(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    db_url: str,
    proxy: DatabaseProxy,
    proxied_url: str,
) -> None:
    vouchers = 60
    codes = [(await sold_voucher(client, programme, course["id"]))["code"] for _ in range(vouchers)]
    redeemed: list[float] = []  # when each 201 arrived

    async def redeem_later(live: httpx.AsyncClient, index: int, code: str) -> Redemption:
        await asyncio.sleep(index * 0.04)  # a steady stream over ~2.4 s rather than one burst
        redemption = await redeem_with_retries(live, partner_a, code, deadline=time.monotonic() + 60)
        if redemption.attempts[-1].status == 201:
            redeemed.append(time.monotonic())
        return redemption

    async def faults() -> tuple[int, float]:
        await until(lambda: len(redeemed) >= 15)
        terminated = await terminate_backends(db_url)
        await until(lambda: len(redeemed) >= 30)
        with proxy.outage("restart"):
            await asyncio.sleep(1.0)
        return terminated, time.monotonic()

    async with httpx.AsyncClient(base_url=proxied_url, timeout=60, limits=httpx.Limits(max_connections=100)) as live:
        fault = asyncio.create_task(faults())
        redemptions = await asyncio.gather(*(redeem_later(live, i, code) for i, code in enumerate(codes)))
        terminated, restored_at = await fault

        attempts = [answer for redemption in redemptions for answer in redemption.attempts]
        assert terminated > 0, "sessions were terminated mid-load"
        assert sum(answer.status == 503 for answer in attempts) > 0, "the restart was felt"
        assert all(answer.error is None for answer in attempts), "the API itself never dropped a connection"
        for redemption in redemptions:
            assert redemption.attempts[-1].status == 201, [(a.status, a.error) for a in redemption.attempts]
            assert all(retryable(answer) for answer in redemption.attempts[:-1])  # 503 or in progress, never 500
        assert max(answer.seconds for answer in attempts) < MAX_WAIT_SECONDS
        after_restore = [at for at in redeemed if at > restored_at]
        assert after_restore, "redemptions were still pending when the database came back"
        assert max(after_restore) - restored_at < RECOVERY_SECONDS

        # Each key replays the very response it first got: the answered redemption is the committed one.
        replays = await asyncio.gather(
            *(
                live.post(
                    f"/v1/vouchers/{r.code}/redeem",
                    json={"learner_ref": f"learner-{r.code}"},
                    headers={**partner_a.headers, "Idempotency-Key": r.key},
                )
                for r in redemptions
            )
        )
    for redemption, replay in zip(redemptions, replays, strict=True):
        assert redemption.final is not None
        assert (replay.status_code, replay.content) == (201, redemption.final.content)

    rows = await fetch(
        db_url,
        """SELECT v.code, v.status, array_agg(DISTINCT e.id) AS enrollments, count(DISTINCT s.id) AS lines
             FROM vouchers v LEFT JOIN enrollments e ON e.voucher_code = v.code
             LEFT JOIN statement_lines s ON s.voucher_code = v.code AND s.kind = 'payable'
            WHERE v.code = any($1::text[]) GROUP BY v.code, v.status""",
        codes,
    )
    committed = {r["code"]: (r["status"], r["enrollments"], r["lines"]) for r in rows}
    for redemption in redemptions:
        assert redemption.final is not None
        enrollment_id = redemption.final.json()["id"]
        assert committed[redemption.code] == ("redeemed", [enrollment_id], 1), redemption.code
    await ledger_consistent(db_url)


# --- 3. SIGTERM drains the requests in flight, then the process exits 0 -------------------------------------------

GRACEFUL_TIMEOUT_SECONDS = 20  # api/__main__.py: uvicorn's timeout_graceful_shutdown


async def waiting_on_locks(db_url: str) -> int:
    rows = await fetch(
        db_url,
        """SELECT count(*) AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'prakerja-api' AND wait_event_type = 'Lock'""",
    )
    waiting: int = rows[0]["waiting"]
    return waiting


def refused_or_never_answered(error: Exception) -> bool:
    """A request the server never started (it stopped listening or closed an idle connection), as opposed to a
    response cut off halfway, which httpx reports as an incomplete message body."""
    if isinstance(error, httpx.ConnectError | httpx.ReadError):
        return True
    return isinstance(error, httpx.RemoteProtocolError) and "without sending a response" in str(error)


async def voucher_outcomes(db_url: str, partner_id: str | None) -> list[tuple[str, int, int]]:
    """Per voucher of the partner: its status, how many enrollments and payable statement lines it has."""
    rows = await fetch(
        db_url,
        """SELECT v.status, count(DISTINCT e.id) AS enrollments, count(DISTINCT s.id) AS lines
             FROM vouchers v LEFT JOIN enrollments e ON e.voucher_code = v.code
             LEFT JOIN statement_lines s ON s.voucher_code = v.code AND s.kind = 'payable'
            WHERE v.partner_id = $1 GROUP BY v.code, v.status""",
        partner_id,
    )
    return [(r["status"], r["enrollments"], r["lines"]) for r in rows]


async def test_sigterm_finishes_the_requests_in_flight_and_exits_0(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    settings: Settings,
    db_url: str,
    tmp_path: Path,
) -> None:
    held = [(await sold_voucher(client, programme, course["id"]))["code"] for _ in range(6)]
    racing = [(await sold_voucher(client, programme, course["id"]))["code"] for _ in range(10)]

    with serving_process(settings, tmp_path / "api.log") as server:
        # Hold the vouchers' rows so their redemptions are provably inside the server (waiting in PostgreSQL).
        blocker = await asyncpg.connect(db_url)
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT 1 FROM vouchers WHERE code = any($1::text[]) FOR UPDATE", held)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=httpx.Limits(max_connections=100)) as live:

            async def read_until_stopped() -> tuple[int, Exception | None]:
                done = 0
                while True:
                    try:
                        response = await live.get("/v1/courses", headers=partner_a.headers)
                    except httpx.TransportError as exc:
                        return done, exc
                    assert response.status_code == 200, response.text
                    assert response.json()["items"]  # a whole body
                    done += 1

            async def redeem_until_stopped(codes: list[str]) -> list[tuple[str, Answer]]:
                outcomes = []
                for code in codes:
                    answer = await timed(
                        code,
                        live.post(
                            f"/v1/vouchers/{code}/redeem",
                            json={"learner_ref": f"learner-{code}"},
                            headers={**partner_a.headers, "Idempotency-Key": f"redeem-{code}"},
                        ),
                    )
                    outcomes.append((code, answer))
                    if answer.error is not None:
                        break
                    await asyncio.sleep(0.1)  # spread over the moment of SIGTERM
                return outcomes

            in_flight = [
                asyncio.create_task(
                    live.post(
                        f"/v1/vouchers/{code}/redeem",
                        json={"learner_ref": f"learner-{code}"},
                        headers={**partner_a.headers, "Idempotency-Key": f"redeem-{code}"},
                    )
                )
                for code in held
            ]
            deadline = time.monotonic() + 10
            while await waiting_on_locks(db_url) < len(held):
                assert time.monotonic() < deadline, "the held redemptions never reached the database"
                await asyncio.sleep(0.02)
            readers = [asyncio.create_task(read_until_stopped()) for _ in range(3)]
            redeemers = [asyncio.create_task(redeem_until_stopped(racing[i::2])) for i in range(2)]
            await asyncio.sleep(0.3)

            server.terminate()
            signalled = time.monotonic()
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient(timeout=5) as newcomer:
                with pytest.raises(httpx.ConnectError):
                    await newcomer.get(f"{server.url}/health/live")  # no longer accepting connections
            assert server.process.poll() is None, "still draining the requests in flight"
            await transaction.rollback()
            await blocker.close()

            responses = await asyncio.gather(*in_flight)  # a transport error here fails the test
            exit_status = await asyncio.to_thread(server.process.wait, GRACEFUL_TIMEOUT_SECONDS + 5)
            stopped_in = time.monotonic() - signalled
            reads = await asyncio.gather(*readers)
            raced = [outcome for outcomes in await asyncio.gather(*redeemers) for outcome in outcomes]

    for code, response in zip(held, responses, strict=True):
        assert response.status_code == 201, response.text
        assert response.json()["voucher_code"] == code
    assert exit_status == 0, server.output()[-3000:]
    assert stopped_in < GRACEFUL_TIMEOUT_SECONDS
    assert "Traceback" not in server.output()
    for done, error in reads:
        assert done > 0
        assert error is not None
        assert refused_or_never_answered(error), repr(error)
    for code, answer in raced:
        if answer.error is not None:
            assert refused_or_never_answered(answer.error), f"{code}: {answer.error!r}"
        else:
            assert answer.status == 201, f"{code}: {answer.status}"
    outcomes = await voucher_outcomes(db_url, partner_a.partner_id)
    assert len(outcomes) == len(held) + len(racing)
    assert set(outcomes) <= {("redeemed", 1, 1), ("sold", 0, 0)}, "no redemption was cut halfway"
    assert outcomes.count(("redeemed", 1, 1)) == len(held) + sum(a.status == 201 for _, a in raced)
    await ledger_consistent(db_url)


# --- 4. two processes, one database: still exactly once ---------------------------------------------------------


async def test_two_processes_on_one_database_redeem_each_voucher_once(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    settings: Settings,
    db_url: str,
    tmp_path: Path,
) -> None:
    codes = [(await sold_voucher(client, programme, course["id"]))["code"] for _ in range(6)]
    per_group = 8  # per voucher: 8 requests with their own keys and 8 sharing one key, split over both processes

    with (
        serving_process(settings, tmp_path / "first.log") as first,
        serving_process(settings, tmp_path / "second.log") as second,
    ):
        servers = (first.url, second.url)
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as http:

            def redeem(code: str, index: int, key: str) -> Awaitable[httpx.Response]:
                return http.post(
                    f"{servers[index % 2]}/v1/vouchers/{code}/redeem",
                    json={"learner_ref": f"learner-{code}"},
                    headers={**partner_a.headers, "Idempotency-Key": key},
                )

            requests: list[tuple[str, str, Awaitable[httpx.Response]]] = []
            for code in codes:
                shared = f"shared-{code}"
                for index in range(per_group):
                    requests.append((code, "own", redeem(code, index, f"own-{index}-{code}")))
                    requests.append((code, "shared", redeem(code, index + 1, shared)))
            responses = await asyncio.gather(*(request for _, _, request in requests))

    for code in codes:
        answers = [(group, r) for (c, group, _), r in zip(requests, responses, strict=True) if c == code]
        created = [r for _, r in answers if r.status_code == 201]
        assert len({r.content for r in created}) == 1, "one redemption, however many times it is told"
        assert sum("idempotent-replayed" not in r.headers for r in created) == 1
        assert sum(r.status_code == 201 for group, r in answers if group == "own") <= 1
        for group, response in answers:
            if response.status_code == 201:
                continue
            assert response.status_code == 409, response.text
            expected = {"voucher_already_redeemed"} | (
                {"idempotency_request_in_progress"} if group == "shared" else set()
            )
            assert response.json()["code"] in expected
        settled = {(r.status_code, r.content) for group, r in answers if group == "shared" and not in_progress(r)}
        assert len(settled) == 1, "one key, one answer (or 409 in progress)"
        rows = await fetch(db_url, "SELECT id FROM enrollments WHERE voucher_code = $1", code)
        assert [r["id"] for r in rows] == [created[0].json()["id"]]
        lines = await fetch(db_url, "SELECT 1 FROM statement_lines WHERE voucher_code = $1", code)
        assert len(lines) == 1
    await ledger_consistent(db_url)


# --- authenticated requests share one failing refresh instead of queueing behind it ---------------------------


async def test_concurrent_requests_do_not_queue_behind_a_failing_revocation_refresh(
    client: Client, partner_a: Credentials, settings: Settings, proxy: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limits, scaled down so that the queue shows in seconds: one request alone waits ~1.5 s at most.
    monkeypatch.setattr(database, "CONNECT_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(database, "ACQUIRE_TIMEOUT_SECONDS", 1.5)
    monkeypatch.setattr(database, "COMMAND_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(database, "RELEASE_TIMEOUT_SECONDS", 0.5)
    alone = database.COMMAND_TIMEOUT_SECONDS + database.RELEASE_TIMEOUT_SECONDS
    quick_refresh = replace(settings, database_url=proxy.url, auth_cache_ttl_seconds=1.0)
    with serving(quick_refresh) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as live:
            warm = await asyncio.gather(*(live.get("/v1/courses", headers=partner_a.headers) for _ in range(5)))
            assert [r.status_code for r in warm] == [200] * 5
            with proxy.outage("partition"):
                await asyncio.sleep(1.5)  # the revocation list is due for a refresh
                answers = await asyncio.gather(
                    *(timed(f"read-{n}", live.get("/v1/courses", headers=partner_a.headers)) for n in range(5))
                )
    assert all(answer.status == 503 for answer in answers)
    assert max(answer.seconds for answer in answers) < 2 * alone, sorted(round(a.seconds, 1) for a in answers)
