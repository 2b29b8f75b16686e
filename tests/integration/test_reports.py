"""The summary report: figures per scheme for a time range, reconciling with the ledger and statement lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.courses import approved as approved_course
from tests.money import key, redeemed_voucher, sold_voucher

Client = AsyncTestClient[Any]
SUMMARY = "/v1/programme/reports/summary"


async def summary(client: Client, programme: Credentials, since: datetime, until: datetime) -> dict[str, Any]:
    response = await client.get(
        SUMMARY, params={"from": since.isoformat(), "to": until.isoformat()}, headers=programme.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_summary_counts_what_happened_and_reconciles_with_the_books(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    course = await approved_course(client, partner_a, programme)
    kept = await redeemed_voucher(client, programme, partner_a, course["id"], learner_ref="kept")
    fraud = await redeemed_voucher(client, programme, partner_a, course["id"], learner_ref="fraud")
    cheap = await approved_course(client, partner_a, programme, price=1_000_000, public_price=1_000_000)
    voided = await sold_voucher(client, programme, cheap["id"], scheme="2020")
    cancelled = await sold_voucher(client, programme, course["id"])
    assert (await client.post(f"/v1/vouchers/{voided['code']}/void", headers={**partner_a.headers, **key()})).is_success
    cancel = await client.post(
        f"/v1/programme/vouchers/{cancelled['code']}/cancel",
        json={"reason": "x"},
        headers={**programme.headers, **key()},
    )
    assert cancel.is_success, cancel.text
    flag = await client.post(
        f"/v1/programme/vouchers/{fraud['code']}/flag-fraud", json={"reason": "x"}, headers=programme.headers
    )
    assert flag.is_success, flag.text
    end = datetime.now(UTC) + timedelta(seconds=1)
    body = await summary(client, programme, start, end)
    total = body["total"]
    price = 1_500_000
    vouchers = total["vouchers"]
    assert vouchers["sold"] == {"count": 4, "amount": 3 * price + 1_000_000}
    assert vouchers["redeemed"] == {"count": 2, "amount": 2 * price}
    assert vouchers["voided"] == {"count": 1, "amount": 1_000_000}
    assert vouchers["cancelled"] == {"count": 1, "amount": price}
    assert vouchers["fraudulent"] == {"count": 1, "amount": price}
    assert vouchers["clawed_back"] == {"count": 1, "amount": price}
    assert vouchers["expired"] == {"count": 0, "amount": 0}
    assert total["money"] == {
        "granted": 3 * 3_500_000 + 1_000_000,
        "spent": 3 * price + 1_000_000,
        "refunded": price + 1_000_000,
        "lapsed": 0,
    }
    by_scheme = {s["scheme"]: s for s in body["schemes"]}
    assert by_scheme["2020"]["vouchers"]["voided"] == {"count": 1, "amount": 1_000_000}
    assert by_scheme["2024"]["vouchers"]["sold"]["count"] == 3
    assert datetime.fromisoformat(body["from"]) == start
    # It reconciles with the books themselves.
    conn = await asyncpg.connect(db_url)
    try:
        balances = await conn.fetchval("SELECT sum(balance) FROM balances")
        owed = await conn.fetchval("SELECT sum(amount) FROM statement_lines")
    finally:
        await conn.close()
    money = total["money"]
    assert money["granted"] - money["spent"] + money["refunded"] - money["lapsed"] == balances
    assert vouchers["redeemed"]["amount"] - vouchers["clawed_back"]["amount"] == owed == kept["amount"]
    # Nothing happened before the range.
    earlier = await summary(client, programme, start - timedelta(days=1), start)
    assert earlier["total"]["vouchers"]["sold"]["count"] == 0


async def test_the_range_is_checked(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    now = datetime.now(UTC)
    backwards = await client.get(
        SUMMARY,
        params={"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()},
        headers=programme.headers,
    )
    assert backwards.status_code == 422
    naive = await client.get(
        SUMMARY, params={"from": "2026-11-01T00:00:00", "to": now.isoformat()}, headers=programme.headers
    )
    assert naive.status_code == 422
    assert (await client.get(SUMMARY, params={"to": now.isoformat()}, headers=programme.headers)).status_code in (
        400,
        422,
    )
    assert (await client.get(SUMMARY, headers=partner_a.headers)).status_code in (403, 404)
