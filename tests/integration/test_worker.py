"""Time-driven transitions: expiry with refund, revocation, lapse; exactly once with concurrent workers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.jobs.worker import sweep
from tests.auth import Credentials
from tests.courses import approved
from tests.database import fetch
from tests.factories import iso
from tests.money import PARTICIPANTS, enrol, ledger_consistent, sold_voucher

Client = AsyncTestClient[Any]


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(db_url, min_size=1, max_size=6)
    yield created
    await created.close()


async def make_due(db_url: str, codes: list[str]) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "UPDATE vouchers SET expires_at = now() - interval '1 minute' WHERE code = any($1::text[])", codes
        )
    finally:
        await conn.close()


async def test_due_vouchers_expire_with_a_refund_exactly_once(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str, pool: asyncpg.Pool
) -> None:
    course = await approved(client, partner_a, programme)
    vouchers = [await sold_voucher(client, programme, course["id"]) for _ in range(12)]
    fresh = await sold_voucher(client, programme, course["id"])
    await make_due(db_url, [v["code"] for v in vouchers])
    now = datetime.now(UTC)
    reports = await asyncio.gather(sweep(pool, now, batch_size=5), sweep(pool, now, batch_size=5))
    assert sum(r.expired for r in reports) == 12
    rows = await fetch(db_url, "SELECT code, status FROM vouchers")
    statuses = {r["code"]: r["status"] for r in rows}
    assert all(statuses[v["code"]] == "expired" for v in vouchers)
    assert statuses[fresh["code"]] == "sold"
    refunds = await fetch(db_url, "SELECT voucher_code FROM ledger_entries WHERE kind = 'refund'")
    assert sorted(r["voucher_code"] for r in refunds) == sorted(v["code"] for v in vouchers)
    events = await fetch(db_url, "SELECT count(*) AS n FROM events WHERE type = 'voucher.expired'")
    assert events[0]["n"] == 12
    assert (await sweep(pool, now)).expired == 0
    person = (await client.get(f"{PARTICIPANTS}/{vouchers[0]['participant_id']}", headers=programme.headers)).json()
    assert person["balance"] == 3_500_000
    await ledger_consistent(db_url)


async def test_missing_the_first_purchase_deadline_revokes_and_lapses(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str, pool: asyncpg.Pool
) -> None:
    course = await approved(client, partner_a, programme)
    late = await enrol(client, programme, accepted_at=iso(datetime.now(UTC) - timedelta(days=16)))
    late_2020 = await enrol(client, programme, scheme="2020", accepted_at=iso(datetime.now(UTC) - timedelta(days=16)))
    buyer = await enrol(client, programme, accepted_at=iso(datetime.now(UTC) - timedelta(days=10)))
    await client.post(
        f"{PARTICIPANTS}/{buyer['id']}/purchases",
        json={"course_id": course["id"]},
        headers={**programme.headers, "Idempotency-Key": "buy-before-deadline"},
    )
    report = await sweep(pool, datetime.now(UTC) + timedelta(days=6))
    assert report.revoked == 1
    shown = (await client.get(f"{PARTICIPANTS}/{late['id']}", headers=programme.headers)).json()
    assert (shown["status"], shown["balance"]) == ("revoked", 0)
    assert shown["ledger"][0]["kind"] == "lapse"
    for other in (late_2020, buyer):
        still = (await client.get(f"{PARTICIPANTS}/{other['id']}", headers=programme.headers)).json()
        assert still["status"] == "active"
    await ledger_consistent(db_url)


async def test_balances_lapse_after_the_scheme_deadline(
    client: Client, programme: Credentials, db_url: str, pool: asyncpg.Pool
) -> None:
    accepted = datetime(2026, 3, 1, tzinfo=UTC)
    person = await enrol(client, programme, accepted_at=iso(accepted))
    conn = await asyncpg.connect(db_url)
    try:  # a purchase happened long ago, so this participant is not revoked; only the deadline matters here
        await conn.execute("UPDATE participants SET status = 'completed' WHERE id = $1", person["id"])
    finally:
        await conn.close()
    before = await sweep(pool, datetime(2026, 12, 15, 23, 0, tzinfo=UTC))
    assert before.lapsed == 0
    after = await sweep(pool, datetime(2026, 12, 16, 0, 1, tzinfo=UTC))
    assert after.lapsed == 1
    shown = (await client.get(f"{PARTICIPANTS}/{person['id']}", headers=programme.headers)).json()
    assert shown["balance"] == 0
    assert shown["ledger"][0] == {**shown["ledger"][0], "kind": "lapse", "amount": 3_500_000}
    assert (await sweep(pool, datetime(2026, 12, 17, tzinfo=UTC))).lapsed == 0
    # The lapse is a money movement like any other: audited (before and after) and announced to the programme.
    conn = await asyncpg.connect(db_url)
    try:
        audited = await conn.fetch(
            "SELECT actor_type, actor_id, before, after FROM audit_log WHERE action = 'participant.balance_lapsed' "
            "AND entity_id = $1",
            person["id"],
        )
        announced = await conn.fetch(
            "SELECT partner_id, data FROM events WHERE type = 'participant.balance_lapsed' AND entity_id = $1",
            person["id"],
        )
    finally:
        await conn.close()
    assert [(r["actor_type"], r["actor_id"]) for r in audited] == [("system", "worker")]
    assert json.loads(audited[0]["before"]) == {"balance": 3_500_000}
    assert json.loads(audited[0]["after"])["lapsed"] == 3_500_000
    assert [(r["partner_id"], json.loads(r["data"])["reason"]) for r in announced] == [(None, "balance deadline")]
    await ledger_consistent(db_url)


async def test_the_sweep_forgets_rate_limit_windows_ten_minutes_after_they_end(db_url: str, pool: asyncpg.Pool) -> None:
    insert = """
    INSERT INTO rate_limit_windows (client_id, policy, window_start, quota, granted, last_lease)
    VALUES ($1, 'per-client', date_trunc('minute', now()) - $2::interval, 60, 10, 10)
    """
    conn = await asyncpg.connect(db_url)
    try:
        for client_id, minutes in (("cli_old", 12), ("cli_recent", 5), ("cli_now", 0)):
            await conn.execute(insert, client_id, timedelta(minutes=minutes))
        report = await sweep(pool, datetime.now(UTC), batch_size=1)
        assert report.rate_limit_windows_deleted == 1
        kept = await conn.fetch("SELECT client_id FROM rate_limit_windows ORDER BY client_id")
        assert [r["client_id"] for r in kept] == ["cli_now", "cli_recent"]
    finally:
        await conn.close()
