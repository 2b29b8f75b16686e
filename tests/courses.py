"""Courses as a partner and the programme's curators create and approve them, for tests of what comes after."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import course_body, schedule_body, scheduled_course_body

Client = AsyncTestClient[Any]
COURSES = "/v1/courses"
CURATION = "/v1/programme/courses"


async def create(client: Client, partner: Credentials, **overrides: Any) -> dict[str, Any]:
    response = await client.post(COURSES, json=course_body(**overrides), headers=partner.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_scheduled(client: Client, partner: Credentials, course_format: str = "webinar") -> dict[str, Any]:
    response = await client.post(COURSES, json=scheduled_course_body(course_format), headers=partner.headers)
    assert response.status_code == 201, response.text
    course: dict[str, Any] = response.json()
    venue = {"location": "Jl. Merdeka 1, Bandung", "meeting_url": None} if course_format == "offline" else {}
    added = await client.post(
        f"{COURSES}/{course['id']}/schedules", json=schedule_body(**venue), headers=partner.headers
    )
    assert added.status_code == 201, added.text
    return course


async def approved(client: Client, partner: Credentials, programme: Credentials, **overrides: Any) -> dict[str, Any]:
    course = await create(client, partner, **overrides)
    assert (await client.post(f"{COURSES}/{course['id']}/submit", headers=partner.headers)).status_code == 200
    response = await client.post(f"{CURATION}/{course['id']}/approve", headers=programme.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
