"""The public catalogue: only approved courses of active partners, full-text search, filters, stable pages."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.courses import approved
from tests.factories import course_body, schedule_body, scheduled_course_body

Client = AsyncTestClient[Any]
CATALOGUE = "/v1/catalogue/courses"


async def search(client: Client, **params: Any) -> list[str]:
    response = await client.get(CATALOGUE, params=params)
    assert response.status_code == 200, response.text
    return [c["title"] for c in response.json()["items"]]


async def test_search_in_indonesian_and_english(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    await approved(client, partner_a, programme, title="Pemasaran Digital untuk UMKM", competencies=["pemasaran"])
    await approved(
        client,
        partner_a,
        programme,
        title="Dasar Akuntansi Keuangan",
        description="Pencatatan keuangan usaha, laporan laba rugi dan neraca.",
        competencies=["akuntansi", "laporan keuangan"],
        category="finance",
    )
    await approved(
        client,
        partner_a,
        programme,
        title="Python Programming for Data Analysis",
        description="Learn Python, pandas and data visualisation from scratch.",
        competencies=["programming", "data analysis"],
        category="technology",
        language="en",
    )
    assert await search(client, q="pemasaran") == ["Pemasaran Digital untuk UMKM"]
    assert await search(client, q="keuangan") == ["Dasar Akuntansi Keuangan"]
    assert await search(client, q="Keuangan laporan") == ["Dasar Akuntansi Keuangan"]
    assert await search(client, q="python data") == ["Python Programming for Data Analysis"]
    assert await search(client, q="programming") == ["Python Programming for Data Analysis"]
    assert await search(client, q="memasak") == []
    assert await search(client, q='"laba rugi"') == ["Dasar Akuntansi Keuangan"]


async def test_filters(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    await approved(client, partner_a, programme, title="Cheap", price=500_000, category="finance")
    await approved(client, partner_a, programme, title="Dear", price=3_000_000, public_price=3_000_000)
    assert await search(client, max_price=1_000_000) == ["Cheap"]
    assert await search(client, category="finance") == ["Cheap"]
    assert await search(client, format="webinar") == []
    assert set(await search(client, format="self_paced")) == {"Cheap", "Dear"}
    assert (await client.get(CATALOGUE, params={"format": "podcast"})).status_code == 422
    assert (await client.get(CATALOGUE, params={"limit": 101})).status_code == 422


async def test_only_approved_courses_of_active_partners_are_listed(
    client: Client, partner_a: Credentials, partner_b: Credentials, programme: Credentials
) -> None:
    draft = (await client.post("/v1/courses", json=course_body(title="Draft"), headers=partner_a.headers)).json()
    shown = await approved(client, partner_b, programme, title="Shown")
    assert await search(client) == ["Shown"]
    assert (await client.get(f"{CATALOGUE}/{draft['id']}")).status_code == 404
    await client.post(f"/v1/programme/partners/{partner_b.partner_id}/suspend", headers=programme.headers)
    assert await search(client) == []
    assert (await client.get(f"{CATALOGUE}/{shown['id']}")).status_code == 404


async def test_detail_lists_open_schedules(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)).json()
    await client.post(f"/v1/courses/{course['id']}/schedules", json=schedule_body(), headers=partner_a.headers)
    await client.post(f"/v1/courses/{course['id']}/submit", headers=partner_a.headers)
    await client.post(f"/v1/programme/courses/{course['id']}/approve", headers=programme.headers)
    detail = (await client.get(f"{CATALOGUE}/{course['id']}")).json()
    assert detail["partner_name"] == "Partner A"
    assert len(detail["schedules"]) == 1
    assert detail["schedules"][0]["seats_left"] == 30
    assert "status" not in detail


async def test_pages_return_every_course_once_while_others_are_approved(
    client: Client, partner_a: Credentials, programme: Credentials
) -> None:
    originals = {(await approved(client, partner_a, programme, title=f"Kursus {n}"))["id"] for n in range(7)}
    seen: list[str] = []
    cursor = None
    new = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "q": "kursus"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(CATALOGUE, params=params)).json()
        seen += [c["id"] for c in page["items"]]
        await approved(client, partner_a, programme, title=f"Kursus baru {new}")
        new += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "no course appears twice"
    assert originals <= set(seen), "every course that was there at the start is seen"
