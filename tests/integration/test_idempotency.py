"""Idempotency keys: a retried mutation acts once and answers the same bytes, per client, across processes.

Probe routes with a real side effect (a row in a table of the test's database) stand in for redeem, purchase
and friends, so the mechanism is tested once, on its own, the way every keyed endpoint uses it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar import Litestar, Response, post
from litestar.testing import AsyncTestClient, TestClient

from api.app import create_app
from api.auth.access import Principal, requires
from api.http.dependencies import Connection
from api.http.errors import ApiError
from api.http.idempotency import (
    CLAIM,
    INSERT_STORED_RESPONSE,
    Idempotency,
    delete_expired,
    lock_key,
    request_fingerprint,
)
from api.http.request_context import RequestContext
from api.settings import Settings
from domain.errors import VoucherAlreadyRedeemed
from tests.auth import Credentials

Client = AsyncTestClient[Any]

PROBE_TABLES = """
CREATE TABLE probe_side_effects (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id text NOT NULL,
    name      text NOT NULL
);
CREATE TABLE probe_mode (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), mode text NOT NULL);
INSERT INTO probe_mode (mode) VALUES ('ok');
"""
INSERT_SIDE_EFFECT = "INSERT INTO probe_side_effects (client_id, name) VALUES ($1, $2) RETURNING id"
SCOPE = "vouchers:redeem"
SLOW_SECONDS = 0.3


class ThingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    price: int


class Thing(msgspec.Struct, kw_only=True):
    id: int
    name: str
    price: int


async def _create_thing(tx: Connection, principal: Principal, data: ThingCreate) -> Thing:
    thing_id: int = await tx.fetchval(INSERT_SIDE_EFFECT, principal.client_id, data.name)
    return Thing(id=thing_id, name=data.name, price=data.price)


@post("/probe/things", **requires(SCOPE))
async def create_thing(
    data: ThingCreate, tx: Connection, principal: Principal, idempotency: Idempotency
) -> Response[bytes]:
    return await idempotency.run(lambda: _create_thing(tx, principal, data), status_code=201)


@post("/probe/other-things", **requires(SCOPE))
async def create_other_thing(
    data: ThingCreate, tx: Connection, principal: Principal, idempotency: Idempotency
) -> Response[bytes]:
    return await idempotency.run(lambda: _create_thing(tx, principal, data), status_code=201)


@post("/probe/slow-things", **requires(SCOPE))
async def create_slow_thing(
    data: ThingCreate, tx: Connection, principal: Principal, idempotency: Idempotency
) -> Response[bytes]:
    async def slowly() -> Thing:
        thing = await _create_thing(tx, principal, data)
        await asyncio.sleep(SLOW_SECONDS)
        return thing

    return await idempotency.run(slowly, status_code=201)


@post("/probe/refusals", **requires(SCOPE))
async def refuse(data: ThingCreate, tx: Connection, principal: Principal, idempotency: Idempotency) -> Response[bytes]:
    async def write_then_refuse() -> Thing:
        await _create_thing(tx, principal, data)
        raise VoucherAlreadyRedeemed(f"Voucher {data.name} was already redeemed.")

    return await idempotency.run(write_then_refuse, status_code=201)


@post("/probe/flaky-things", **requires(SCOPE))
async def create_flaky_thing(
    data: ThingCreate, tx: Connection, principal: Principal, idempotency: Idempotency
) -> Response[bytes]:
    """Writes, then behaves as `probe_mode` says: succeed, crash (500) or fail at the edge (ApiError)."""

    async def write_then_maybe_fail() -> Thing:
        thing = await _create_thing(tx, principal, data)
        mode = await tx.fetchval("SELECT mode FROM probe_mode")
        if mode == "crash":
            raise RuntimeError("the operation crashed after writing")
        if mode == "api_error":
            raise ApiError(404, "not_found", "No such resource.")
        return thing

    return await idempotency.run(write_then_maybe_fail, status_code=201)


PROBES = (create_thing, create_other_thing, create_slow_thing, refuse, create_flaky_thing)


def probe_app(settings: Settings) -> Litestar:
    """The real app (its own pool, as one API process) plus the probe routes (`idempotency` is an app dependency)."""
    app = create_app(settings)
    for handler in PROBES:
        app.register(handler)
    return app


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """The test's own connection for setup and assertions (the apps run their pools in other threads)."""
    conn = await asyncpg.connect(db_url)
    await conn.execute(PROBE_TABLES)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def probe(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=RequestContext(probe_app(settings))) as probe_client:
        yield probe_client


def keyed(creds: Credentials, key: str | bytes) -> dict[str, Any]:
    return {**creds.headers, "Idempotency-Key": key}


async def side_effects(db: asyncpg.Connection, client_id: str | None = None) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM probe_side_effects WHERE client_id = coalesce($1, client_id)", client_id
    )
    return count


async def stored_keys(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM idempotency_keys")
    return count


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:prakerja:problem:{code}"
    return body


THING = {"name": "kelas-1", "price": 1_500_000}


# --- (a) a retry replays ---------------------------------------------------------------------------------------


async def test_retry_with_same_key_and_body_replays_the_first_response(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection
) -> None:
    first = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "order-1"))
    assert first.status_code == 201, first.text
    assert first.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in first.headers
    assert first.json()["name"] == "kelas-1"

    # The same JSON written differently (key order, whitespace) is the same request.
    reformatted = b'{\n  "price": 1500000,   "name": "kelas-1"\n}'
    for body in (msgspec.json.encode(THING), reformatted):
        again = await probe.post(
            "/probe/things",
            content=body,
            headers={**keyed(partner_a, "order-1"), "content-type": "application/json"},
        )
        assert again.status_code == 201
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["idempotent-replayed"] == "true"
    assert await side_effects(db) == 1


async def test_a_new_key_is_a_new_operation(probe: Client, partner_a: Credentials, db: asyncpg.Connection) -> None:
    first = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "order-1"))
    second = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "order-2"))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert await side_effects(db) == 2


# --- (b) a key reused for another request ----------------------------------------------------------------------


async def test_same_key_with_another_body_or_path_is_422_and_acts_not(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection
) -> None:
    first = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "order-1"))
    assert first.status_code == 201

    other_body = await probe.post("/probe/things", json={**THING, "price": 1}, headers=keyed(partner_a, "order-1"))
    assert_problem(other_body, 422, "idempotency_key_reused")
    other_path = await probe.post("/probe/other-things", json=THING, headers=keyed(partner_a, "order-1"))
    assert_problem(other_path, 422, "idempotency_key_reused")
    assert await side_effects(db) == 1

    # The key still belongs to the first request.
    replay = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "order-1"))
    assert replay.content == first.content


# --- (c) the header itself -------------------------------------------------------------------------------------


async def test_missing_key_is_400_idempotency_key_required(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection
) -> None:
    response = await probe.post("/probe/things", json=THING, headers=partner_a.headers)
    assert_problem(response, 400, "idempotency_key_required")
    assert await side_effects(db) == 0


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("k" * 256, id="256-characters"),
        pytest.param("", id="empty"),
        pytest.param("order\x01one", id="control-character"),
        pytest.param("order\x7fone", id="delete-character"),
        pytest.param("order\tone", id="tab"),
        pytest.param("prüfung".encode("latin-1"), id="not-ascii"),
    ],
)
async def test_malformed_key_is_400(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection, key: str | bytes
) -> None:
    response = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, key))
    assert_problem(response, 400, "invalid_request")
    assert await side_effects(db) == 0
    assert await stored_keys(db) == 0


async def test_longest_and_punctuated_keys_are_accepted(probe: Client, partner_a: Credentials) -> None:
    for key in ("k" * 255, "a", "2026-11-28T09:00:00Z/redeem#1 ~!"):
        response = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, key))
        assert response.status_code == 201, (key, response.text)


# --- (d) keys belong to a client -------------------------------------------------------------------------------


async def test_keys_are_scoped_to_the_client(
    probe: Client, partner_a: Credentials, partner_b: Credentials, db: asyncpg.Connection
) -> None:
    by_a = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "shared-key"))
    by_b = await probe.post("/probe/things", json=THING, headers=keyed(partner_b, "shared-key"))
    assert (by_a.status_code, by_b.status_code) == (201, 201)
    assert "idempotent-replayed" not in by_b.headers
    assert by_a.json()["id"] != by_b.json()["id"]
    # Another client's use of a key is no reuse either.
    by_b_other = await probe.post("/probe/things", json={**THING, "price": 2}, headers=keyed(partner_b, "other"))
    by_a_other = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "other"))
    assert (by_b_other.status_code, by_a_other.status_code) == (201, 201)
    assert await side_effects(db, partner_a.client_id) == 2
    assert await side_effects(db, partner_b.client_id) == 2


# --- (e) a rule violation is an answer too ---------------------------------------------------------------------


async def test_domain_error_is_stored_and_replayed_with_its_writes_rolled_back(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection
) -> None:
    first = await probe.post("/probe/refusals", json=THING, headers=keyed(partner_a, "redeem-1"))
    body = assert_problem(first, 409, "voucher_already_redeemed")
    assert body["detail"] == "Voucher kelas-1 was already redeemed."
    assert body["title"] == "Voucher already redeemed"
    assert "idempotent-replayed" not in first.headers
    assert await side_effects(db) == 0, "the operation's writes are rolled back"
    assert await stored_keys(db) == 1, "the refusal is stored (the request transaction committed)"

    again = await probe.post("/probe/refusals", json=THING, headers=keyed(partner_a, "redeem-1"))
    assert again.status_code == 409
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await side_effects(db) == 0


# --- (f) a failure is not an answer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "code"), [("crash", 500, "internal_error"), ("api_error", 404, "not_found")]
)
async def test_unexpected_or_edge_error_stores_nothing_and_a_retry_runs_again(
    probe: Client, partner_a: Credentials, db: asyncpg.Connection, mode: str, status: int, code: str
) -> None:
    await db.execute("UPDATE probe_mode SET mode = $1", mode)
    failed = await probe.post("/probe/flaky-things", json=THING, headers=keyed(partner_a, "flaky-1"))
    assert_problem(failed, status, code)
    assert await stored_keys(db) == 0
    assert await side_effects(db) == 0, "the failed request's writes are rolled back"

    await db.execute("UPDATE probe_mode SET mode = 'ok'")
    retried = await probe.post("/probe/flaky-things", json=THING, headers=keyed(partner_a, "flaky-1"))
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await side_effects(db) == 1
    assert await stored_keys(db) == 1


# --- (g) two processes, one key, at once -----------------------------------------------------------------------


async def test_concurrent_requests_with_one_key_on_two_app_instances_act_once(
    settings: Settings, partner_a: Credentials, db: asyncpg.Connection
) -> None:
    """20 simultaneous requests over two app instances (two pools, two event loops, as two processes would be).

    Litestar's AsyncTestClient handles a request synchronously (it blocks the caller's loop until the
    response), so gathering on it would serialize them; each request is sent from its own thread instead, and
    each app serves them concurrently in its own event loop thread.
    """
    requests = 20
    headers = keyed(partner_a, "race-1")
    start = threading.Barrier(requests, timeout=30)

    with (
        TestClient(app=RequestContext(probe_app(settings))) as first_process,
        TestClient(app=RequestContext(probe_app(settings))) as second_process,
        ThreadPoolExecutor(max_workers=requests) as threads,
    ):

        def send(index: int) -> Any:
            process = first_process if index % 2 == 0 else second_process
            start.wait()
            return process.post("/probe/slow-things", json=THING, headers=headers)

        loop = asyncio.get_running_loop()
        responses = await asyncio.gather(*(loop.run_in_executor(threads, send, i) for i in range(requests)))
        late_retry = second_process.post("/probe/slow-things", json=THING, headers=headers)

    assert await side_effects(db) == 1
    successes = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code != 201]
    assert successes, "one request did the work"
    assert in_progress, "the requests overlapped (otherwise this test proves nothing)"
    assert len({r.content for r in successes}) == 1, "every success is the same response"
    assert sum("idempotent-replayed" not in r.headers for r in successes) == 1, "only one was not a replay"
    for response in in_progress:
        assert_problem(response, 409, "idempotency_request_in_progress")
        assert response.headers["retry-after"] == "1"
    assert late_retry.status_code == 201
    assert late_retry.content == successes[0].content
    assert late_retry.headers["idempotent-replayed"] == "true"


async def test_the_claim_locks_then_reads_what_the_lock_holder_committed(db_url: str) -> None:
    """`idempotency_claim`: the lock is taken without waiting (another claimant is told it is held, and that
    nothing is stored yet), and once the holder commits, the next claim gets the lock and the stored response."""
    first, second = await asyncpg.connect(db_url), await asyncpg.connect(db_url)
    try:
        claim = (lock_key("cli_claim", "k-1"), "cli_claim", "k-1")
        async with first.transaction():
            held = await first.fetchrow(CLAIM, *claim)
            assert held is not None
            assert (held["locked"], held["request_fingerprint"]) == (True, None)
            async with second.transaction():
                busy = await second.fetchrow(CLAIM, *claim)
            assert busy is not None
            assert (busy["locked"], busy["request_fingerprint"]) == (False, None)
            await first.execute(
                INSERT_STORED_RESPONSE, "cli_claim", "k-1", "fp", "POST", "/x", 201, "application/json", b"{}"
            )
        async with second.transaction():
            after = await second.fetchrow(CLAIM, *claim)
        assert after is not None
        assert (after["locked"], after["request_fingerprint"], after["status_code"], after["response_body"]) == (
            True,
            "fp",
            201,
            b"{}",
        )
    finally:
        await first.close()
        await second.close()


# --- retention and fingerprints --------------------------------------------------------------------------------


async def test_delete_expired_keeps_recent_keys(probe: Client, partner_a: Credentials, db: asyncpg.Connection) -> None:
    for key in ("old-1", "old-2", "old-3", "recent"):
        assert (await probe.post("/probe/things", json=THING, headers=keyed(partner_a, key))).status_code == 201
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '49 hours' WHERE key LIKE 'old-%'")
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '47 hours' WHERE key = 'recent'")

    with pytest.raises(ValueError, match="at least"):
        await delete_expired(db, timedelta(hours=23))
    assert await delete_expired(db, timedelta(hours=48), limit=2) == 2
    assert await delete_expired(db, timedelta(hours=48)) == 1
    assert await delete_expired(db, timedelta(hours=48)) == 0
    assert await db.fetchval("SELECT array_agg(key) FROM idempotency_keys") == ["recent"]

    # A deleted key is free again: the request runs anew.
    reused = await probe.post("/probe/things", json=THING, headers=keyed(partner_a, "old-1"))
    assert reused.status_code == 201
    assert "idempotent-replayed" not in reused.headers
    assert await side_effects(db) == 5


def test_fingerprint_ignores_json_formatting_but_not_meaning() -> None:
    base = request_fingerprint("POST", "/v1/vouchers/A/redeem", b"", b'{"a": 1, "b": [1, 2]}')
    assert request_fingerprint("POST", "/v1/vouchers/A/redeem", b"", b'{"b":[1,2],\n"a":1}') == base
    assert request_fingerprint("POST", "/v1/vouchers/B/redeem", b"", b'{"a": 1, "b": [1, 2]}') != base
    assert request_fingerprint("POST", "/v1/vouchers/A/redeem", b"", b'{"a": 1, "b": [2, 1]}') != base
    assert request_fingerprint("POST", "/v1/vouchers/A/redeem", b"x=1", b'{"a": 1, "b": [1, 2]}') != base
    assert request_fingerprint("PUT", "/v1/vouchers/A/redeem", b"", b'{"a": 1, "b": [1, 2]}') != base
    assert request_fingerprint("POST", "/v1/vouchers/A/void", b"", b"") == request_fingerprint(
        "POST", "/v1/vouchers/A/void", b"", b"  "
    )
