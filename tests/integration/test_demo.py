"""The seeded sandbox demo that `make run` prints credentials for."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from api.jobs.bootstrap import demo_partner_credentials
from api.settings import Settings
from tests.auth import token_for

Client = AsyncTestClient[Any]


async def test_demo_partner_has_one_approved_course_per_format(client: Client, settings: Settings) -> None:
    first = await demo_partner_credentials(settings)
    second = await demo_partner_credentials(settings)
    assert first.client_id == second.client_id
    assert first.client_secret != second.client_secret, "a new secret at every start"
    assert (
        await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(first.client_id, first.client_secret)
        )
    ).status_code == 401
    token = await token_for(client, second.client_id, second.client_secret)
    courses = (await client.get("/v1/courses", headers={"Authorization": f"Bearer {token}"})).json()["items"]
    assert sorted(c["format"] for c in courses) == ["blended", "offline", "self_paced", "webinar"]
    assert {c["status"] for c in courses} == {"approved"}
    catalogue = (await client.get("/v1/catalogue/courses", params={"category": "demo"})).json()["items"]
    assert len(catalogue) == 4
    webinar = next(c for c in catalogue if c["format"] == "webinar")
    detail = (await client.get(f"/v1/catalogue/courses/{webinar['id']}")).json()
    assert len(detail["schedules"]) == 1
