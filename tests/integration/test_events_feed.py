"""The events feed: own events only, oldest first, never a gap or a repeat, even while writers still commit."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from api.services import events
from tests.auth import Client, Credentials, onboard_partner
from tests.money import sold_voucher
from tests.webhooks import course_on_sale

FEED = "/v1/events"


async def walk(client: Client, partner: Credentials, after: str | None = None, **params: Any) -> tuple[list[Any], str]:
    """Every event the feed serves after `after` right now, and the cursor to continue from."""
    items: list[Any] = []
    while True:
        query = {**params, **({"after": after} if after else {})}
        response = await client.get(FEED, params=query, headers=partner.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["next_cursor"], "next_cursor is never null"
        items.extend(page["items"])
        if after == page["next_cursor"] or not page["items"]:
            return items, page["next_cursor"]
        after = page["next_cursor"]


async def test_a_sale_reaches_the_feed_of_the_course_owner_only(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials
) -> None:
    course_id = await course_on_sale(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course_id, name="Siti Rahmawati")

    items, cursor = await walk(client, partner_a)
    sold = [e for e in items if e["type"] == "voucher.sold"]
    assert len(sold) == 1
    event = sold[0]
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["id"].startswith("evt_")
    assert event["data"]["code"] == voucher["code"]
    assert event["data"]["participant"] == {"name_masked": voucher["participant"]["name_masked"]}
    assert "Rahmawati" not in str(event)
    assert "nik" not in str(event)
    assert [e["type"] for e in items] == ["course.approved", "voucher.sold"]  # oldest first

    # Nothing new: an empty page that still hands back a cursor to poll from.
    again = await client.get(FEED, params={"after": cursor}, headers=partner_a.headers)
    assert again.json()["items"] == []
    assert again.json()["next_cursor"]

    others, _ = await walk(client, partner_b)
    assert others == []


async def test_the_type_filter_and_limit(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    course_id = await course_on_sale(client, partner_a, programme)
    for _ in range(3):
        await sold_voucher(client, programme, course_id)
    first = await client.get(FEED, params={"type": "voucher.sold", "limit": 2}, headers=partner_a.headers)
    assert [e["type"] for e in first.json()["items"]] == ["voucher.sold"] * 2
    rest, _ = await walk(client, partner_a, first.json()["next_cursor"], type="voucher.sold")
    assert len(rest) == 1
    assert rest[0]["id"] not in {e["id"] for e in first.json()["items"]}


async def test_bad_cursor_limit_and_scope_are_refused(client: Client, programme: Credentials) -> None:
    partner = await onboard_partner(client, programme, "Narrow", scopes=["courses:read"])
    assert (await client.get(FEED, headers=partner.headers)).status_code == 403
    full = await onboard_partner(client, programme, "Full")
    for params in ({"after": "bm90LWEtY3Vyc29y"}, {"after": "%%%"}, {"limit": 101}, {"limit": 0}):
        response = await client.get(FEED, params=params, headers=full.headers)
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_failed"


async def test_an_event_committed_late_with_a_lower_id_is_not_skipped(
    client: Client, db_url: str, partner_a: Credentials
) -> None:
    partner_id = partner_a.partner_id
    _, cursor = await walk(client, partner_a)
    slow = await asyncpg.connect(db_url)
    fast = await asyncpg.connect(db_url)
    try:
        transaction = slow.transaction()
        await transaction.start()
        await events.emit(slow, partner_id, "voucher.voided", "voucher", "slow", {"n": 0})
        for n in range(1, 4):  # later transactions, higher ids, committed first
            await events.emit(fast, partner_id, "voucher.sold", "voucher", f"fast-{n}", {"n": n})

        held, held_cursor = await walk(client, partner_a, cursor)
        assert held == [], "nothing may be served past an event that is still being written"

        await transaction.commit()
        items, _ = await walk(client, partner_a, held_cursor)
        assert [e["data"]["n"] for e in items] == [0, 1, 2, 3]
    finally:
        await slow.close()
        await fast.close()


async def test_concurrent_writers_thousands_of_events_no_gap_no_duplicate(
    client: Client, db_url: str, partner_a: Credentials
) -> None:
    partner_id = partner_a.partner_id
    writers, transactions_each = 6, 250
    written: list[int] = []

    async def writer(number: int) -> None:
        conn = await asyncpg.connect(db_url)
        try:
            for t in range(transactions_each):
                async with conn.transaction():
                    for k in range(random.randint(1, 3)):
                        serial = (number * 10_000 + t) * 10 + k
                        await events.emit(conn, partner_id, "voucher.sold", "voucher", "x", {"n": serial})
                        written.append(serial)
                    if random.random() < 0.3:
                        await asyncio.sleep(0.002)
        finally:
            await conn.close()

    seen: list[int] = []
    cursor: str | None = None
    tasks = [asyncio.create_task(writer(n)) for n in range(writers)]
    while not all(task.done() for task in tasks):
        items, cursor = await walk(client, partner_a, cursor, limit=100)
        seen.extend(e["data"]["n"] for e in items)
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    items, cursor = await walk(client, partner_a, cursor, limit=100)
    seen.extend(e["data"]["n"] for e in items)

    assert len(written) >= writers * transactions_each
    assert len(seen) == len(set(seen)), "an event was served twice"
    assert sorted(seen) == sorted(written), "an event was never served"


async def test_created_at_is_the_partners_test_clock(db_url: str, partner_a: Credentials) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "INSERT INTO sandbox_clocks (partner_id, offset_seconds) VALUES ($1, $2)", partner_a.partner_id, 86_400
        )
        await events.emit(conn, partner_a.partner_id, "voucher.sold", "voucher", "c", {})
        later = await conn.fetchval("SELECT created_at FROM events WHERE entity_id = 'c'")
        assert later - datetime.now(UTC) > timedelta(hours=23)
        fixed = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        await events.emit(conn, partner_a.partner_id, "voucher.sold", "voucher", "d", {}, now=fixed)
        assert await conn.fetchval("SELECT created_at FROM events WHERE entity_id = 'd'") == fixed
    finally:
        await conn.close()


async def test_a_transaction_open_in_another_database_does_not_hold_the_feed_back(
    client: Client, programme: Credentials, partner_a: Credentials, empty_db_url: str
) -> None:
    """Only this database's transactions can write its events: one left open elsewhere on the same server (another
    deployment, a reporting job) must not stall every partner's feed."""
    elsewhere = await asyncpg.connect(empty_db_url)
    try:
        transaction = elsewhere.transaction()
        await transaction.start()
        await elsewhere.fetchval("SELECT pg_current_xact_id()")  # it holds an xid older than the sale's
        course_id = await course_on_sale(client, partner_a, programme)
        await sold_voucher(client, programme, course_id)
        items, _ = await walk(client, partner_a)
        assert [e["type"] for e in items] == ["course.approved", "voucher.sold"]
        await transaction.rollback()
    finally:
        await elsewhere.close()
