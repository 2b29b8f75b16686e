"""A sandbox partner's reset touches only what it owns; a test participant belongs to one partner (issue 13, 7)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.auth import Credentials
from tests.factories import course_body
from tests.money import buy, key

Client = AsyncTestClient[Any]


@pytest.fixture
def settings(db_url: str) -> Settings:
    from tests.conftest import settings_for

    return replace(settings_for(db_url), app_env="sandbox")


async def sandbox_course(client: Client, partner: Credentials) -> dict[str, Any]:
    course = (await client.post("/v1/courses", json=course_body(), headers=partner.headers)).json()
    approved = await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner.headers)
    assert approved.status_code == 200, approved.text
    body: dict[str, Any] = approved.json()
    return body


async def counts(db_url: str, partner_id: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM vouchers WHERE partner_id = $1) AS vouchers,
                      (SELECT count(*) FROM enrollments WHERE partner_id = $1) AS enrollments,
                      (SELECT count(*) FROM statement_lines WHERE partner_id = $1) AS settlement""",
            partner_id,
        )
    finally:
        await conn.close()
    assert row is not None
    return row["vouchers"], row["enrollments"], row["settlement"]


async def test_one_partners_reset_leaves_another_partners_records(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    b_course = await sandbox_course(client, partner_b)
    c_person = (await client.post("/v1/sandbox/participants", headers=partner_a.headers)).json()

    # The programme sells B's course to C's (here: A's) test participant: refused, the participant is A's alone.
    sold_across = await buy(client, programme, c_person["id"], b_course["id"])
    assert sold_across.status_code == 409, sold_across.text
    assert sold_across.json()["code"] == "course_not_on_sale"

    # B sells and redeems its own course to its own test participant; then A resets its sandbox.
    sold = await client.post("/v1/sandbox/vouchers", json={"course_id": b_course["id"]}, headers=partner_b.headers)
    assert sold.status_code == 201, sold.text
    redeemed = await client.post(
        f"/v1/vouchers/{sold.json()['code']}/redeem",
        json={"learner_ref": "b-1"},
        headers={**partner_b.headers, **key()},
    )
    assert redeemed.status_code == 201, redeemed.text
    before = await counts(db_url, partner_b.partner_id or "")
    assert before[:2] == (1, 1)

    reset = await client.post("/v1/sandbox/reset", headers=partner_a.headers)
    assert reset.status_code == 200, reset.text
    assert reset.json()["participants"] == 1
    assert await counts(db_url, partner_b.partner_id or "") == before
    voucher = await client.get(f"/v1/vouchers/{sold.json()['code']}", headers=partner_b.headers)
    assert voucher.status_code == 200
    assert voucher.json()["status"] == "redeemed"


async def test_a_reset_refuses_when_its_test_participants_hold_another_partners_voucher(
    client: Client, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    """Data from before the sale rule: A's test participant holds B's voucher. A's reset must not delete it."""
    b_course = await sandbox_course(client, partner_b)
    sold = await client.post("/v1/sandbox/vouchers", json={"course_id": b_course["id"]}, headers=partner_b.headers)
    assert sold.status_code == 201, sold.text
    conn = await asyncpg.connect(db_url)
    try:  # hand B's test participant over to A, as the old sale path allowed in effect
        await conn.execute(
            "UPDATE participants SET sandbox_partner_id = $1 FROM vouchers v"
            " WHERE v.code = $2 AND participants.id = v.participant_id",
            partner_a.partner_id,
            sold.json()["code"],
        )
    finally:
        await conn.close()
    refused = await client.post("/v1/sandbox/reset", headers=partner_a.headers)
    assert refused.status_code == 409
    assert (await client.get(f"/v1/vouchers/{sold.json()['code']}", headers=partner_b.headers)).status_code == 200
