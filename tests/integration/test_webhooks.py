"""Webhook endpoints and deliveries, against a real local HTTP receiver and real PostgreSQL.

Signatures are checked by the `standardwebhooks` package itself, as a partner's receiver would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.app import create_app
from api.auth.signing_keys import key_encryption_key
from api.db.pool import create_pool
from api.http.request_context import RequestContext
from api.jobs.webhooks import DeliveryWorker
from api.services import events, webhooks
from api.settings import Settings
from tests.auth import Client, Credentials, onboard_partner, programme_credentials
from tests.live_server import REPO_ROOT, server_environment
from tests.money import sold_voucher
from tests.webhooks import course_on_sale, receiving

ENDPOINTS = "/v1/webhook-endpoints"


@contextlib.asynccontextmanager
async def delivering(settings: Settings, **overrides: Any) -> AsyncIterator[DeliveryWorker]:
    """A delivery worker running in this event loop (fast retries) until the block ends."""
    worker_settings = replace(settings, webhook_retry_base_seconds=0.2, worker_interval_seconds=1.0, **overrides)
    pool = await create_pool(worker_settings)
    worker = DeliveryWorker(pool, worker_settings, key_encryption_key(worker_settings))
    task = asyncio.create_task(worker.run_forever())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()


async def subscribe(client: Client, partner: Credentials, url: str, **body: Any) -> dict[str, Any]:
    response = await client.post(ENDPOINTS, json={"url": url, **body}, headers=partner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def attempts(client: Client, partner: Credentials, endpoint_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", headers=partner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(client: Client, partner: Credentials, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds `count` attempts (waiting for the worker to record them)."""
    for _ in range(1500):
        found = await attempts(client, partner, endpoint_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"the log never reached {count} attempts: {found}")


def verified(secret: str, message: Any) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(message.body, message.headers)
    return payload


# --- managing endpoints ----------------------------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_lists_get_delete(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        ENDPOINTS,
        json={"url": "https://hooks.example.com/x", "event_types": ["voucher.sold"]},
        headers=partner_a.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "enabled"
    assert created["event_types"] == ["voucher.sold"]
    assert created["id"].startswith("whe_")
    assert response.headers["location"] == f"{ENDPOINTS}/{created['id']}"

    shown = await client.get(f"{ENDPOINTS}/{created['id']}", headers=partner_a.headers)
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    listed = await client.get(ENDPOINTS, headers=partner_a.headers)
    assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]

    assert (await client.delete(f"{ENDPOINTS}/{created['id']}", headers=partner_a.headers)).status_code == 204
    assert (await client.get(f"{ENDPOINTS}/{created['id']}", headers=partner_a.headers)).status_code == 404


async def test_secrets_are_stored_encrypted(client: Client, partner_a: Credentials, db_url: str) -> None:
    created = await subscribe(client, partner_a, "https://hooks.example.com/x")
    conn = await asyncpg.connect(db_url)
    try:
        stored = await conn.fetchval("SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1", created["id"])
    finally:
        await conn.close()
    assert created["secret"].encode() not in stored
    assert created["secret"].removeprefix("whsec_").encode() not in stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://user:pw@example.com/x"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"url": "https://example.com/x", "event_types": ["voucher.sould"]}, "event_types.0"),
        ({"url": "https://example.com/x#top"}, "url"),
        ({"url": "https://example.com/a|b"}, "url"),
        ({"url": "https://example.com:65536/x"}, "url"),
        ({"url": "https://example.com/x", "secret": "whsec_mine"}, None),
    ],
)
async def test_bad_endpoints_are_refused(
    client: Client, partner_a: Credentials, body: dict[str, Any], field: str | None
) -> None:
    response = await client.post(ENDPOINTS, json=body, headers=partner_a.headers)
    assert response.status_code == 422, response.text
    if field:
        assert field in {e["field"] for e in response.json()["errors"]}


async def test_another_partners_endpoint_is_404_everywhere(
    client: Client, partner_a: Credentials, partner_b: Credentials, programme: Credentials
) -> None:
    theirs = await subscribe(client, partner_a, "https://hooks.example.com/a")
    path = f"{ENDPOINTS}/{theirs['id']}"
    for method, url in [
        ("GET", path),
        ("DELETE", path),
        ("POST", f"{path}/rotate-secret"),
        ("POST", f"{path}/test"),
        ("GET", f"{path}/deliveries"),
    ]:
        response = await client.request(method, url, headers=partner_b.headers)
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "not_found"
    assert (await client.get(ENDPOINTS, headers=partner_b.headers)).json()["items"] == []
    assert (await client.get(path, headers=partner_a.headers)).status_code == 200
    narrow = await onboard_partner(client, programme, "Reader", scopes=["events:read"])
    assert (await client.get(ENDPOINTS, headers=narrow.headers)).status_code == 403


# --- delivering ------------------------------------------------------------------------------------------------


async def test_a_voucher_sale_reaches_the_receiver_signed(
    client: Client, settings: Settings, programme: Credentials, partner_a: Credentials
) -> None:
    course_id = await course_on_sale(client, partner_a, programme)
    with receiving() as receiver:
        endpoint = await subscribe(client, partner_a, receiver.url, event_types=["voucher.sold"])
        async with delivering(settings):
            voucher = await sold_voucher(client, programme, course_id)
            (message,) = await receiver.wait_for(1)
            log = await settled(client, partner_a, endpoint["id"], 1)

    payload = verified(endpoint["secret"], message)
    assert payload["type"] == "voucher.sold"
    assert payload["data"]["code"] == voucher["code"]
    assert message.headers["webhook-id"] == payload["id"]
    assert message.headers["content-type"] == "application/json"
    feed = await client.get("/v1/events", params={"type": "voucher.sold"}, headers=partner_a.headers)
    assert feed.json()["items"] == [payload], "webhooks and the feed carry the same envelope"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(message.body, message.headers)
    assert log[0]["event_id"] == payload["id"]
    assert log[0]["event_type"] == "voucher.sold"
    assert log[0]["attempt"] == 1
    assert log[0]["status_code"] == 200
    assert log[0]["error"] is None
    assert log[0]["next_attempt_at"] is None


async def test_a_failing_receiver_gets_the_event_again_with_growing_delays(
    client: Client, settings: Settings, partner_a: Credentials, db_url: str
) -> None:
    with receiving(statuses=[500, 503]) as receiver:
        endpoint = await subscribe(client, partner_a, receiver.url)
        async with delivering(settings):
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=partner_a.headers)
            messages = await receiver.wait_for(3)
            log = await settled(client, partner_a, endpoint["id"], 3)

    assert len({m.headers["webhook-id"] for m in messages}) == 1
    for message in messages:
        assert verified(endpoint["secret"], message)["type"] == "ping"
    newest_first = [(a["attempt"], a["status_code"]) for a in log]
    assert newest_first == [(3, 200), (2, 503), (1, 500)]

    def waited(attempt: dict[str, Any]) -> float:
        after = datetime.fromisoformat(attempt["next_attempt_at"]) - datetime.fromisoformat(attempt["attempted_at"])
        return after.total_seconds()

    assert waited(log[1]) > waited(log[2]) > 0, "the delay before each retry grows"
    assert log[0]["next_attempt_at"] is None


async def test_a_hanging_receiver_is_timed_out_and_retried(
    client: Client, settings: Settings, partner_a: Credentials
) -> None:
    with receiving(hang_seconds=5.0, hangs=1) as receiver:
        endpoint = await subscribe(client, partner_a, receiver.url)
        async with delivering(settings, webhook_read_timeout_seconds=0.5):
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=partner_a.headers)
            log = await settled(client, partner_a, endpoint["id"], 2)
    assert log[1]["error"] == "timed out"
    assert log[1]["status_code"] is None
    assert log[1]["latency_ms"] < 5000
    assert log[0]["status_code"] == 200


async def test_a_rotated_secret_signs_alongside_the_old_one_during_the_overlap(
    client: Client, settings: Settings, partner_a: Credentials, db_url: str
) -> None:
    with receiving() as receiver:
        endpoint = await subscribe(client, partner_a, receiver.url)
        rotated = await client.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=partner_a.headers)
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != endpoint["secret"]
        assert rotated.json()["previous_secret_expires_at"] is not None
        async with delivering(settings):
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=partner_a.headers)
            (during,) = await receiver.wait_for(1)
            conn = await asyncpg.connect(db_url)
            try:  # the overlap ends
                await conn.execute(
                    "UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second'"
                )
            finally:
                await conn.close()
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=partner_a.headers)
            _, after = await receiver.wait_for(2)

    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verified(new_secret, during)["type"] == "ping"
    assert verified(endpoint["secret"], during)["type"] == "ping"
    assert verified(new_secret, after)["type"] == "ping"
    with pytest.raises(WebhookVerificationError):
        verified(endpoint["secret"], after)


async def test_an_endpoint_failing_for_the_whole_window_is_failing_until_a_success(
    client: Client, settings: Settings, partner_a: Credentials
) -> None:
    with receiving(statuses=[500]) as receiver:
        endpoint = await subscribe(client, partner_a, receiver.url)
        path = f"{ENDPOINTS}/{endpoint['id']}"
        async with delivering(settings, webhook_retry_window_seconds=0.0):
            await client.post(f"{path}/test", headers=partner_a.headers)
            log = await settled(client, partner_a, endpoint["id"], 1)
            assert log[0]["next_attempt_at"] is None, "given up: no further attempt"
            assert (await client.get(path, headers=partner_a.headers)).json()["status"] == "failing"
            await client.post(f"{path}/test", headers=partner_a.headers)
            await settled(client, partner_a, endpoint["id"], 2)
        assert len(receiver.messages()) == 2
    assert (await client.get(path, headers=partner_a.headers)).json()["status"] == "enabled"


async def test_two_workers_share_the_queue_and_send_each_event_once(
    client: Client, settings: Settings, partner_a: Credentials, db_url: str
) -> None:
    with receiving() as receiver:
        await subscribe(client, partner_a, receiver.url)
        ids = await write_events(db_url, partner_a.partner_id, 300)
        async with delivering(settings), delivering(settings):
            await receiver.wait_for_ids(ids)
            await all_delivered(db_url, len(ids))
            messages = receiver.messages()  # each was received before it was recorded as delivered
    assert sorted(m.headers["webhook-id"] for m in messages) == sorted(ids)


async def test_events_of_other_partners_and_unsubscribed_types_are_not_sent(
    client: Client, settings: Settings, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    with receiving() as receiver:
        await subscribe(client, partner_a, receiver.url, event_types=["voucher.redeemed"])
        (wanted,) = await write_events(db_url, partner_a.partner_id, 1, event_type="voucher.redeemed")
        await write_events(db_url, partner_a.partner_id, 5, event_type="voucher.sold")
        await write_events(db_url, partner_b.partner_id, 5, event_type="voucher.redeemed")
        async with delivering(settings):
            await receiver.wait_for(1)
            await asyncio.sleep(0.3)  # room for a wrong delivery to show up
    assert [m.headers["webhook-id"] for m in receiver.messages()] == [wanted]


async def all_delivered(db_url: str, count: int) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for _ in range(1000):
            if await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the deliveries were never all recorded as delivered")
    finally:
        await conn.close()


async def write_events(db_url: str, partner_id: str | None, count: int, event_type: str = "voucher.sold") -> set[str]:
    conn = await asyncpg.connect(db_url)
    try:
        async with conn.transaction():
            for n in range(count):
                await events.emit(conn, partner_id, event_type, "voucher", f"v{n}", {"n": n})
        rows = await conn.fetch(
            "SELECT public_id FROM events WHERE partner_id = $1 AND type = $2 ORDER BY id DESC LIMIT $3",
            partner_id,
            event_type,
            count,
        )
    finally:
        await conn.close()
    return {r["public_id"] for r in rows}


# --- crash safety ------------------------------------------------------------------------------------------------


async def test_a_worker_killed_mid_batch_loses_nothing_after_a_restart(
    client: Client, settings: Settings, partner_a: Credentials, db_url: str, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        **server_environment(settings),
        "WORKER_INTERVAL_SECONDS": "1",
        "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
        "WEBHOOK_READ_TIMEOUT_SECONDS": "2",
    }

    def start_worker(name: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as output:
            return subprocess.Popen(
                [sys.executable, "-m", "api", "worker"], cwd=REPO_ROOT, env=environment, stdout=output, stderr=output
            )

    with receiving(delay_seconds=0.5) as receiver:
        await subscribe(client, partner_a, receiver.url)
        ids = await write_events(db_url, partner_a.partner_id, 40)
        first = start_worker("first")
        try:
            await receiver.wait_for(1)  # the batch is claimed and on the wire: kill it before it records anything
        finally:
            first.kill()
            first.wait()
        second = start_worker("second")
        try:
            await receiver.wait_for_ids(ids)
            await all_delivered(db_url, len(ids))
            messages = receiver.messages()  # each was received before it was recorded as delivered
        finally:
            second.terminate()
            second.wait(timeout=10)

    deduplicated = {m.headers["webhook-id"]: m for m in messages}  # what a receiver does with webhook-id
    assert set(deduplicated) == ids
    assert len(messages) > len(ids), "the killed worker's batch was sent again (at least once)"


# --- production mode ---------------------------------------------------------------------------------------------


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[tuple[Client, Credentials]]:
    production_settings = replace(settings, app_env="production")
    app = create_app(production_settings)
    async with AsyncTestClient(app=RequestContext(app)) as client:  # type: ignore[arg-type]
        programme = await programme_credentials(client, production_settings)
        partner = await onboard_partner(client, programme, "Production", environment="production")
        yield client, partner


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain http
        "https://localhost:8443/x",  # a name that resolves to loopback
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
    ],
)
async def test_production_refuses_private_destinations_at_creation(
    production: tuple[Client, Credentials], url: str
) -> None:
    client, partner = production
    response = await client.post(ENDPOINTS, json={"url": url}, headers=partner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"


async def test_production_refuses_a_private_address_at_delivery(
    client: Client, settings: Settings, partner_a: Credentials
) -> None:
    with receiving() as receiver:
        # Accepted where private addresses are allowed; the production worker must still refuse to connect.
        port = receiver.url.split(":")[2].split("/")[0]
        endpoint = await subscribe(client, partner_a, f"https://localhost:{port}/hooks")
        async with delivering(settings, app_env="production"):
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=partner_a.headers)
            log = await settled(client, partner_a, endpoint["id"], 1)
        assert receiver.messages() == []
    assert log[0]["error"].startswith("refused")
    assert log[0]["status_code"] is None


async def test_sandbox_and_development_deliver_to_a_laptop(client: Client, partner_a: Credentials) -> None:
    created = await client.post(ENDPOINTS, json={"url": "http://127.0.0.1:9999/hooks"}, headers=partner_a.headers)
    assert created.status_code == 201


async def test_a_cloud_metadata_address_is_refused_even_where_private_addresses_are_allowed(
    client: Client, partner_a: Credentials
) -> None:
    for url in ("http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/hooks"):
        refused = await client.post(ENDPOINTS, json={"url": url}, headers=partner_a.headers)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["errors"][0]["field"] == "url"
    with pytest.raises(webhooks.DestinationRefused):
        await webhooks.resolve_allowed("169.254.169.254", 80, allow_private=True)
    assert await webhooks.resolve_allowed("127.0.0.1", 80, allow_private=True) == ["127.0.0.1"]
