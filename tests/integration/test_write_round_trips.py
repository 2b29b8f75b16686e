"""Learning reports follow the redemption path's discipline: at most 3 round trips, nothing read back.

The services run here on a connection that counts the statements sent; what they answer must be exactly what a
later GET shows, since they build it from what they read and wrote instead of reading it again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.services import enrollments, schemes, vouchers
from api.services.audit import Actor
from tests.auth import Credentials
from tests.courses import approved
from tests.money import redeem, sold_voucher

Client = AsyncTestClient[Any]
MAX_ROUND_TRIPS = 3
ACTOR = Actor.system("round-trip-test")


class CountingConnection:
    """An asyncpg connection that remembers each statement it sends (one statement is one round trip)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements.append(sql)
        return list(await self._conn.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self.statements.append(sql)
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self._conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        self.statements.append(sql)
        return await self._conn.execute(sql, *args)

    def transaction(self) -> Any:
        """The request's transaction, as the `tx` dependency opens it (not a statement the service sends)."""
        return self._conn.transaction()


@pytest.fixture
async def counting(db_url: str) -> AsyncIterator[CountingConnection]:
    conn = await asyncpg.connect(db_url)
    try:
        yield CountingConnection(conn)
    finally:
        await conn.close()


@pytest.fixture
async def enrollment(client: Client, programme: Credentials, partner_a: Credentials) -> dict[str, Any]:
    """A fresh enrollment on an approved 15-hour self-paced course with 5 modules."""
    course = await approved(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course["id"], name="Budi Santoso")
    response = await redeem(client, partner_a, voucher["code"], "lms-budi")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def shown(client: Client, partner: Credentials, enrollment_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/enrollments/{enrollment_id}", headers=partner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answered(enrollment: enrollments.Enrollment) -> dict[str, Any]:
    """The service's answer as the API would send it."""
    body: dict[str, Any] = json.loads(msgspec.json.encode(enrollment))
    return body


def without_clock(body: dict[str, Any]) -> dict[str, Any]:
    """A body minus what depends on the moment it is computed at (blockers' wording of elapsed time aside)."""
    return {k: v for k, v in body.items() if k not in ("blockers", "allowed_actions")}


async def test_redemption_is_two_round_trips_and_answers_what_get_shows(
    client: Client, programme: Credentials, partner_a: Credentials, counting: CountingConnection
) -> None:
    """The voucher locked with what its rules read, then one statement for every write and the enrollment."""
    course = await approved(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course["id"], name="Sari Dewi")
    await schemes.scheme_by_code(counting, "2024")  # type: ignore[arg-type] # read once per process, not per request
    counting.statements.clear()
    async with counting.transaction():
        result = await vouchers.redeem(
            counting,  # type: ignore[arg-type]
            ACTOR,
            partner_a.partner_id,
            voucher["code"],
            "lms-sari",
            datetime.now(UTC),
        )
    assert len(counting.statements) == 2, counting.statements
    assert without_clock(answered(result)) == without_clock(await shown(client, partner_a, result.id))


async def test_attendance_is_two_round_trips_and_answers_what_get_shows(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], counting: CountingConnection
) -> None:
    now = datetime.now(UTC)
    async with counting.transaction():
        result = await enrollments.record_attendance(
            counting,  # type: ignore[arg-type]
            ACTOR,
            partner_a.partner_id,
            enrollment["id"],
            1,
            now,
            now,
        )
    assert len(counting.statements) <= MAX_ROUND_TRIPS
    assert not any(s.lstrip().upper().startswith("SELECT") for s in counting.statements[1:]), counting.statements
    assert answered(result) == await shown(client, partner_a, enrollment["id"])

    counting.statements.clear()
    async with counting.transaction():
        again = await enrollments.record_attendance(
            counting,  # type: ignore[arg-type]
            ACTOR,
            partner_a.partner_id,
            enrollment["id"],
            1,
            now,
            now,
        )
    assert len(counting.statements) <= 2, "a repeated report only locks and reads"
    assert answered(again) == answered(result)


async def test_assessment_is_at_most_three_round_trips_and_answers_what_get_shows(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], counting: CountingConnection
) -> None:
    now = datetime.now(UTC)
    async with counting.transaction():
        result = await enrollments.record_assessment(
            counting,  # type: ignore[arg-type]
            ACTOR,
            partner_a.partner_id,
            enrollment["id"],
            85,
            now,
            now,
        )
    assert len(counting.statements) <= MAX_ROUND_TRIPS
    assert answered(result) == await shown(client, partner_a, enrollment["id"])


async def test_completion_is_at_most_three_round_trips_and_its_event_is_what_get_shows(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], counting: CountingConnection, db_url: str
) -> None:
    enrollment_id = enrollment["id"]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "UPDATE enrollments SET redeemed_at = redeemed_at - interval '7 days' WHERE id = $1", enrollment_id
        )
    finally:
        await conn.close()
    attended_at = datetime.now(UTC) - timedelta(days=6)
    for sequence in range(1, 6):
        response = await client.put(
            f"/v1/enrollments/{enrollment_id}/attendance/{sequence}",
            json={"attended_at": attended_at.isoformat()},
            headers=partner_a.headers,
        )
        assert response.status_code == 200, response.text
    response = await client.put(
        f"/v1/enrollments/{enrollment_id}/assessment",
        json={"score": 90, "assessed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat()},
        headers=partner_a.headers,
    )
    assert response.status_code == 200, response.text

    now = datetime.now(UTC)
    async with counting.transaction():
        result = await enrollments.complete(
            counting,  # type: ignore[arg-type]
            ACTOR,
            partner_a.partner_id,
            enrollment_id,
            now - timedelta(hours=1),
            now,
        )
    assert len(counting.statements) <= MAX_ROUND_TRIPS
    got = await shown(client, partner_a, enrollment_id)
    assert result.status == "completed"
    assert without_clock(answered(result)) == without_clock(got)
    conn = await asyncpg.connect(db_url)
    try:
        event = await conn.fetchval(
            "SELECT data FROM events WHERE type = 'enrollment.completed' AND entity_id = $1", enrollment_id
        )
        voucher_status = await conn.fetchval("SELECT status FROM vouchers WHERE code = $1", enrollment["voucher_code"])
    finally:
        await conn.close()
    assert without_clock(json.loads(event)) == without_clock(got)
    assert voucher_status == "completed"
