"""Concurrent writes that meet a unique constraint answer 409, never 500 (issue 13, finding 6)."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import iso
from tests.money import completed_enrollment

Client = AsyncTestClient[Any]
CONCURRENT = 40


async def test_concurrent_certificate_issues_for_one_enrollment_give_one_201_and_409s(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str, live_url: str
) -> None:
    enrollment_id = await completed_enrollment(client, programme, partner_a, db_url)
    issued_at = iso(datetime.now(UTC) - timedelta(minutes=5))

    async def issue(http: httpx.AsyncClient, n: int) -> httpx.Response:
        return await http.post(
            f"{live_url}/v1/enrollments/{enrollment_id}/certificate",
            json={"number": f"CERT-{n:04d}", "issued_at": issued_at},
            headers={**partner_a.headers, "Idempotency-Key": secrets.token_hex(12)},
        )

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=CONCURRENT)) as http:
        answers = await asyncio.gather(*(issue(http, n) for n in range(CONCURRENT)))

    assert Counter(a.status_code for a in answers) == {201: 1, 409: CONCURRENT - 1}, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"invalid_state_transition"}
    conn = await asyncpg.connect(db_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM certificates WHERE enrollment_id = $1", enrollment_id) == 1
    finally:
        await conn.close()


async def test_concurrent_certificates_with_one_number_give_one_201_and_409s(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str, live_url: str
) -> None:
    enrollments = [await completed_enrollment(client, programme, partner_a, db_url) for _ in range(3)]
    issued_at = iso(datetime.now(UTC) - timedelta(minutes=5))

    async def issue(http: httpx.AsyncClient, enrollment_id: str) -> httpx.Response:
        return await http.post(
            f"{live_url}/v1/enrollments/{enrollment_id}/certificate",
            json={"number": "CERT-SAME", "issued_at": issued_at},
            headers={**partner_a.headers, "Idempotency-Key": secrets.token_hex(12)},
        )

    async with httpx.AsyncClient(timeout=60) as http:
        answers = await asyncio.gather(*(issue(http, e) for e in enrollments))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 2}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"certificate_number_taken"}
