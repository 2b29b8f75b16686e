"""The seeded sandbox demo that `make run` prints credentials for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from api.jobs.bootstrap import demo_partner_credentials
from api.settings import Settings
from tests.auth import token_for

Client = AsyncTestClient[Any]


async def test_demo_partner_has_one_approved_course_per_format(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    settings = replace(settings, data_dir=tmp_path)
    first = await demo_partner_credentials(settings)
    second = await demo_partner_credentials(settings)  # the next `make run`
    assert first == second, "the demo secret stays the same across restarts"
    assert (tmp_path / "demo-client-secret.enc").exists()
    assert first.client_secret.encode() not in (tmp_path / "demo-client-secret.enc").read_bytes()
    token = await token_for(client, first.client_id, first.client_secret)
    courses = (await client.get("/v1/courses", headers={"Authorization": f"Bearer {token}"})).json()["items"]
    assert sorted(c["format"] for c in courses) == ["blended", "offline", "self_paced", "webinar"]
    assert {c["status"] for c in courses} == {"approved"}
    catalogue = (await client.get("/v1/catalogue/courses", params={"category": "demo"})).json()["items"]
    assert len(catalogue) == 4
    webinar = next(c for c in catalogue if c["format"] == "webinar")
    detail = (await client.get(f"/v1/catalogue/courses/{webinar['id']}")).json()
    assert len(detail["schedules"]) == 1


async def test_a_new_data_dir_gets_a_new_demo_secret_and_the_old_one_stops(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    old = await demo_partner_credentials(replace(settings, data_dir=tmp_path / "old"))
    new = await demo_partner_credentials(replace(settings, data_dir=tmp_path / "new"))
    assert old.client_secret != new.client_secret
    stale = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(old.client_id, old.client_secret)
    )
    assert stale.status_code == 401
    assert stale.json()["error"] == "invalid_client"
