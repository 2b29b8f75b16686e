"""The money path as the portal and a partner drive it: enrol, sell, redeem."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import participant_body

Client = AsyncTestClient[Any]
PARTICIPANTS = "/v1/programme/participants"


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header."""
    return {"Idempotency-Key": secrets.token_hex(12)}


async def enrol(client: Client, programme: Credentials, **overrides: Any) -> dict[str, Any]:
    response = await client.post(PARTICIPANTS, json=participant_body(**overrides), headers=programme.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def buy(
    client: Client, programme: Credentials, participant_id: str, course_id: str, schedule_id: str | None = None
) -> Any:
    body: dict[str, Any] = {"course_id": course_id}
    if schedule_id:
        body["schedule_id"] = schedule_id
    return await client.post(
        f"{PARTICIPANTS}/{participant_id}/purchases", json=body, headers={**programme.headers, **key()}
    )


async def sold_voucher(client: Client, programme: Credentials, course_id: str, **participant: Any) -> dict[str, Any]:
    """A new participant who bought `course_id`; returns the voucher."""
    person = await enrol(client, programme, **participant)
    response = await buy(client, programme, person["id"], course_id)
    assert response.status_code == 201, response.text
    voucher: dict[str, Any] = response.json()
    return voucher


async def redeem(client: Client, partner: Credentials, code: str, learner_ref: str = "learner-1") -> Any:
    return await client.post(
        f"/v1/vouchers/{code}/redeem", json={"learner_ref": learner_ref}, headers={**partner.headers, **key()}
    )


async def completed_enrollment(client: Client, programme: Credentials, partner: Credentials, db_url: str) -> str:
    """The id of an enrollment of `partner` that is completed (attended, assessed, as if over the last week)."""
    from datetime import UTC, datetime, timedelta

    import asyncpg

    from tests.courses import approved
    from tests.factories import iso

    course = await approved(client, partner, programme)
    voucher = await sold_voucher(client, programme, course["id"])
    redeemed = await redeem(client, partner, voucher["code"])
    assert redeemed.status_code == 201, redeemed.text
    enrollment_id: str = redeemed.json()["id"]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "UPDATE enrollments SET redeemed_at = redeemed_at - interval '7 days' WHERE id = $1", enrollment_id
        )
    finally:
        await conn.close()
    attended = datetime.now(UTC) - timedelta(days=6)
    for sequence in range(1, 6):
        answer = await client.put(
            f"/v1/enrollments/{enrollment_id}/attendance/{sequence}",
            json={"attended_at": iso(attended)},
            headers=partner.headers,
        )
        assert answer.status_code == 200, answer.text
    await client.put(
        f"/v1/enrollments/{enrollment_id}/assessment",
        json={"score": 85, "assessed_at": iso(datetime.now(UTC) - timedelta(hours=2))},
        headers=partner.headers,
    )
    completed = await client.post(
        f"/v1/enrollments/{enrollment_id}/completion",
        json={"completed_at": iso(datetime.now(UTC) - timedelta(hours=1))},
        headers={**partner.headers, **key()},
    )
    assert completed.status_code == 200, completed.text
    return enrollment_id


async def ledger_consistent(db_url: str) -> None:
    """The invariant money rests on: every balance equals the sum of its ledger entries, and is ≥ 0."""
    conn = await asyncpg.connect(db_url)
    try:
        drift = await conn.fetch(
            """SELECT b.participant_id, b.balance, coalesce(sum(l.signed_amount), 0) AS total
                 FROM balances b LEFT JOIN ledger_entries l ON l.participant_id = b.participant_id
                GROUP BY b.participant_id, b.balance HAVING b.balance <> coalesce(sum(l.signed_amount), 0)"""
        )
        assert drift == []
        assert await conn.fetchval("SELECT count(*) FROM balances WHERE balance < 0") == 0
    finally:
        await conn.close()


async def redeemed_voucher(
    client: Client, programme: Credentials, partner: Credentials, course_id: str, learner_ref: str = "learner-1"
) -> dict[str, Any]:
    """A new participant's voucher for `course_id`, redeemed by `partner`."""
    voucher = await sold_voucher(client, programme, course_id)
    response = await redeem(client, partner, voucher["code"], learner_ref)
    assert response.status_code == 201, response.text
    return voucher
