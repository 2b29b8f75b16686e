"""The audit trail over HTTP: search with filters and a cursor, and its tamper-evident hash chain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from api.services import audit
from tests.auth import Credentials
from tests.courses import approved as approved_course
from tests.money import redeemed_voucher

Client = AsyncTestClient[Any]
AUDIT = "/v1/programme/audit"


async def seal_all(db_url: str) -> int:
    """What the worker's sweep does: seal every committed audit row not sealed yet."""
    conn = await asyncpg.connect(db_url)
    sealed = 0
    try:
        while True:
            async with conn.transaction():
                batch = await audit.seal_batch(conn, 50)  # type: ignore[arg-type]
            sealed += batch
            if batch < 50:
                return sealed
    finally:
        await conn.close()


async def verification(client: Client, programme: Credentials) -> dict[str, Any]:
    response = await client.get(f"{AUDIT}/verification", headers=programme.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_search_by_entity_action_actor_and_time_with_a_cursor(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    course = await approved_course(client, partner_a, programme)
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    code = voucher["code"]
    by_entity = await client.get(f"{AUDIT}?entity_type=voucher&entity_id={code}", headers=programme.headers)
    assert by_entity.status_code == 200, by_entity.text
    items = by_entity.json()["items"]
    assert [i["action"] for i in items] == ["voucher.redeemed", "voucher.sold"]  # newest first
    redeemed = items[0]
    assert (redeemed["actor"], redeemed["actor_type"], redeemed["partner_id"]) == (
        partner_a.client_id,
        "partner_client",
        partner_a.partner_id,
    )
    assert redeemed["before"] == {"status": "sold"}
    assert redeemed["after"]["status"] == "redeemed"
    by_actor = (await client.get(f"{AUDIT}?actor={partner_a.client_id}", headers=programme.headers)).json()
    assert {i["actor"] for i in by_actor["items"]} == {partner_a.client_id}
    by_action = (await client.get(f"{AUDIT}?action=voucher.sold", headers=programme.headers)).json()
    assert [i["entity_id"] for i in by_action["items"]] == [code]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = await client.get(AUDIT, params={"from": future}, headers=programme.headers)
    assert later.json()["items"] == []
    everything = (await client.get(AUDIT, params={"to": future, "limit": 100}, headers=programme.headers)).json()
    first = (await client.get(f"{AUDIT}?limit=2", headers=programme.headers)).json()
    second = (await client.get(f"{AUDIT}?limit=2&cursor={first['next_cursor']}", headers=programme.headers)).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in everything["items"][:4]]
    naive = await client.get(AUDIT, params={"from": "2026-11-01T00:00:00"}, headers=programme.headers)
    assert naive.status_code == 422
    assert (await client.get(AUDIT, headers=partner_a.headers)).status_code in (403, 404)


async def test_the_chain_is_valid_untouched_and_names_the_first_altered_row(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    course = await approved_course(client, partner_a, programme)
    voucher = await redeemed_voucher(client, programme, partner_a, course["id"])
    sealed = await seal_all(db_url)
    assert sealed > 5
    untouched = await verification(client, programme)
    assert (untouched["valid"], untouched["checked"], untouched["first_invalid_id"]) == (True, sealed, None)
    assert await seal_all(db_url) == 0  # nothing is sealed twice
    conn = await asyncpg.connect(db_url)
    try:
        sold_id = await conn.fetchval(
            "SELECT id FROM audit_log WHERE action = 'voucher.sold' AND entity_id = $1", voucher["code"]
        )
        # Someone with the database owner's powers rewrites history, going around the append-only trigger.
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
        await conn.execute("""UPDATE audit_log SET after = after || '{"amount": 1}' WHERE id = $1""", sold_id)
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
    finally:
        await conn.close()
    altered = await verification(client, programme)
    assert (altered["valid"], altered["checked"], altered["first_invalid_id"]) == (False, sealed, str(sold_id))


async def test_a_row_that_commits_late_is_sealed_later_and_writers_never_wait(
    client: Client, programme: Credentials, db_url: str
) -> None:
    """A writer whose transaction is still open while later rows commit and get sealed: its row is sealed by the
    next pass; and a sealer in progress does not hold up writers."""
    insert = "INSERT INTO audit_log (actor_type, action, entity_type, entity_id) VALUES ('system', $1, 'test', $2)"
    slow, fast, sealer = [await asyncpg.connect(db_url) for _ in range(3)]
    try:
        slow_tx = slow.transaction()
        await slow_tx.start()
        await slow.execute(insert, "test.slow", "1")  # takes the lower id, commits last
        await fast.execute(insert, "test.fast", "2")
        await seal_all(db_url)
        sealer_tx = sealer.transaction()
        await sealer_tx.start()
        await audit.seal_batch(sealer, 50)  # type: ignore[arg-type]
        # The sealer's transaction is open: a writer commits regardless, at once.
        await asyncio.wait_for(fast.execute(insert, "test.fast", "3"), timeout=5)
        await sealer_tx.commit()
        await slow_tx.commit()
        await seal_all(db_url)
        unsealed = await fast.fetchval(
            "SELECT count(*) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id)"
        )
        assert unsealed == 0
    finally:
        for conn in (slow, fast, sealer):
            await conn.close()
    result = await verification(client, programme)
    assert result["valid"] is True
