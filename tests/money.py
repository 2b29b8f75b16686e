"""The money path as the portal and a partner drive it: enrol, sell, redeem."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import course_body, participant_body

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


async def approved_course(client: Client, partner: Credentials, programme: Credentials, **overrides: Any) -> Any:
    """A course of `partner` (self-paced, Rp 1,500,000 unless overridden), submitted and approved."""
    created = await client.post("/v1/courses", json=course_body(**overrides), headers=partner.headers)
    assert created.status_code == 201, created.text
    course_id = created.json()["id"]
    assert (await client.post(f"/v1/courses/{course_id}/submit", headers=partner.headers)).status_code in (200, 201)
    approved = await client.post(f"/v1/programme/courses/{course_id}/approve", headers=programme.headers)
    assert approved.status_code in (200, 201), approved.text
    return approved.json()


async def redeemed_voucher(
    client: Client, programme: Credentials, partner: Credentials, course_id: str, learner_ref: str = "learner-1"
) -> dict[str, Any]:
    """A new participant's voucher for `course_id`, redeemed by `partner`."""
    voucher = await sold_voucher(client, programme, course_id)
    response = await redeem(client, partner, voucher["code"], learner_ref)
    assert response.status_code == 201, response.text
    return voucher
