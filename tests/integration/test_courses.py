"""Courses over HTTP: publishing, editing with If-Match, schedules, curation, tenancy."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.courses import COURSES, CURATION, approved, create, create_scheduled
from tests.factories import course_body, schedule_body, scheduled_course_body

Client = AsyncTestClient[Any]


# --- creating --------------------------------------------------------------------------------------------------


async def test_create_draft_course(client: Client, partner_a: Credentials) -> None:
    response = await client.post(COURSES, json=course_body(), headers=partner_a.headers)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["partner_id"] == partner_a.partner_id
    assert body["id"].startswith("crs_")
    assert body["allowed_actions"] == ["edit", "submit", "archive"]
    assert response.headers["etag"] == '"1"'
    assert body["curation_history"] == []


@pytest.mark.parametrize("field", ["partner_id", "status", "id", "balance"])
async def test_fields_a_partner_does_not_own_are_422(client: Client, partner_a: Credentials, field: str) -> None:
    response = await client.post(COURSES, json=course_body(**{field: "x"}), headers=partner_a.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert (await client.get(COURSES, headers=partner_a.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": 14}, "hours"),
        ({"price": 3_500_001, "public_price": 4_000_000}, "price"),
        ({"price": 2_000_001}, "price"),
        ({"modules": None}, "modules"),
        ({"competencies": []}, "competencies"),
        ({"title": "   "}, "title"),
    ],
)
async def test_course_rules_are_409_with_field_errors(
    client: Client, partner_a: Credentials, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(COURSES, json=course_body(**overrides), headers=partner_a.headers)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "course_rule_violated"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_price_at_the_balance_is_allowed(client: Client, partner_a: Credentials) -> None:
    await create(client, partner_a, price=3_500_000, public_price=3_500_000)


@pytest.mark.parametrize(("overrides", "field"), [({"price": 0}, "price"), ({"format": "podcast"}, "format")])
async def test_schema_violations_are_422(
    client: Client, partner_a: Credentials, overrides: dict[str, Any], field: str
) -> None:
    response = await client.post(COURSES, json=course_body(**overrides), headers=partner_a.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_programme_token_cannot_publish_courses(client: Client, programme: Credentials) -> None:
    response = await client.post(COURSES, json=course_body(), headers=programme.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


# --- listing, reading, editing ----------------------------------------------------------------------------------


async def test_list_filters_by_status_and_paginates(client: Client, partner_a: Credentials) -> None:
    ids = [(await create(client, partner_a, title=f"Course {n}"))["id"] for n in range(3)]
    await client.post(f"{COURSES}/{ids[1]}/submit", headers=partner_a.headers)
    first = (await client.get(COURSES, params={"limit": 2}, headers=partner_a.headers)).json()
    second = (
        await client.get(COURSES, params={"limit": 2, "cursor": first["next_cursor"]}, headers=partner_a.headers)
    ).json()
    assert [c["id"] for c in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    submitted = (await client.get(COURSES, params={"status": "submitted"}, headers=partner_a.headers)).json()
    assert [c["id"] for c in submitted["items"]] == [ids[1]]


async def test_patch_needs_a_current_if_match(client: Client, partner_a: Credentials) -> None:
    course = await create(client, partner_a)
    url = f"{COURSES}/{course['id']}"
    missing = await client.patch(url, json={"title": "New"}, headers=partner_a.headers)
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition_required"
    ok = await client.patch(url, json={"title": "New"}, headers={**partner_a.headers, "If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["title"] == "New"
    assert ok.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"title": "Newer"}, headers={**partner_a.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert (await client.get(url, headers=partner_a.headers)).json()["title"] == "New"


async def test_patch_rejects_unknown_fields_and_rule_violations(client: Client, partner_a: Credentials) -> None:
    course = await create(client, partner_a)
    url = f"{COURSES}/{course['id']}"
    headers = {**partner_a.headers, "If-Match": '"1"'}
    assert (await client.patch(url, json={"status": "approved"}, headers=headers)).status_code == 422
    violation = await client.patch(url, json={"hours": 10}, headers=headers)
    assert violation.status_code == 409
    assert violation.json()["code"] == "course_rule_violated"
    assert (await client.get(url, headers=partner_a.headers)).json()["hours"] == 15


async def test_editing_an_approved_course_price_waits_for_curation(
    client: Client, partner_a: Credentials, programme: Credentials
) -> None:
    course = await approved(client, partner_a, programme)
    url = f"{COURSES}/{course['id']}"
    etag = (await client.get(url, headers=partner_a.headers)).headers["etag"]
    edited = await client.patch(
        url,
        json={"price": 1_200_000, "description": "Updated description for the course."},
        headers={**partner_a.headers, "If-Match": etag},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["price"] == 1_500_000  # still selling at the approved price
    assert body["description"] == "Updated description for the course."  # applied at once
    assert body["pending_revision"]["price"] == 1_200_000
    assert body["status"] == "approved"
    queue = (await client.get(CURATION, headers=programme.headers)).json()["items"]
    assert [c["id"] for c in queue] == [course["id"]]
    decided = await client.post(f"{CURATION}/{course['id']}/approve", headers=programme.headers)
    assert decided.json()["price"] == 1_200_000
    assert decided.json()["pending_revision"] is None


async def test_rejected_revision_keeps_the_approved_terms(
    client: Client, partner_a: Credentials, programme: Credentials
) -> None:
    course = await approved(client, partner_a, programme)
    url = f"{COURSES}/{course['id']}"
    etag = (await client.get(url, headers=partner_a.headers)).headers["etag"]
    await client.patch(url, json={"hours": 20}, headers={**partner_a.headers, "If-Match": etag})
    rejected = await client.post(
        f"{CURATION}/{course['id']}/reject", json={"reasons": ["Hours not justified"]}, headers=programme.headers
    )
    assert rejected.status_code == 200
    assert rejected.json()["hours"] == 15
    assert rejected.json()["status"] == "approved"
    assert rejected.json()["pending_revision"] is None


# --- submitting and curation -----------------------------------------------------------------------------------


async def test_scheduled_course_needs_a_schedule_before_submission(client: Client, partner_a: Credentials) -> None:
    response = await client.post(COURSES, json=scheduled_course_body("webinar"), headers=partner_a.headers)
    course = response.json()
    refused = await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "course_rule_violated"
    await client.post(f"{COURSES}/{course['id']}/schedules", json=schedule_body(), headers=partner_a.headers)
    submitted = await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
    assert submitted.json()["status"] == "submitted"
    again = await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state_transition"
    frozen = await client.patch(
        f"{COURSES}/{course['id']}", json={"title": "x"}, headers={**partner_a.headers, "If-Match": '"2"'}
    )
    assert frozen.status_code == 409


async def test_rejection_reasons_reach_the_partner(
    client: Client, partner_a: Credentials, programme: Credentials, db_url: str
) -> None:
    course = await create(client, partner_a)
    await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
    no_reason = await client.post(f"{CURATION}/{course['id']}/reject", json={"reasons": []}, headers=programme.headers)
    assert no_reason.status_code == 422
    rejected = await client.post(
        f"{CURATION}/{course['id']}/reject",
        json={"reasons": ["Competencies are vague", "Add an assessment plan"]},
        headers=programme.headers,
    )
    assert rejected.json()["status"] == "rejected"
    seen = (await client.get(f"{COURSES}/{course['id']}", headers=partner_a.headers)).json()
    assert seen["rejection_reasons"] == ["Competencies are vague", "Add an assessment plan"]
    assert [step["action"] for step in seen["curation_history"]] == ["submit", "reject"]
    resubmitted = await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
    assert resubmitted.json()["status"] == "submitted"
    conn = await asyncpg.connect(db_url)
    try:
        event = await conn.fetchrow("SELECT type, partner_id, data FROM events WHERE entity_id = $1", course["id"])
        audited = await conn.fetch("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", course["id"])
    finally:
        await conn.close()
    assert event is not None
    assert event["type"] == "course.rejected"
    assert event["partner_id"] == partner_a.partner_id
    assert json.loads(event["data"])["status"] == "rejected"
    assert [r["action"] for r in audited] == ["course.created", "course.submit", "course.reject", "course.submit"]


async def test_suspend_and_reinstate(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    course = await approved(client, partner_a, programme)
    suspended = await client.post(f"{CURATION}/{course['id']}/suspend", headers=programme.headers)
    assert suspended.json()["status"] == "suspended"
    assert (await client.get(f"/v1/catalogue/courses/{course['id']}")).status_code == 404
    twice = await client.post(f"{CURATION}/{course['id']}/suspend", headers=programme.headers)
    assert twice.status_code == 409
    reinstated = await client.post(f"{CURATION}/{course['id']}/reinstate", headers=programme.headers)
    assert reinstated.json()["status"] == "approved"
    assert (await client.get(f"/v1/catalogue/courses/{course['id']}")).status_code == 200


async def test_a_suspension_keeps_its_reason_in_the_history(
    client: Client, partner_a: Credentials, programme: Credentials
) -> None:
    course = await approved(client, partner_a, programme)
    reason = {"reason": "  Pengaduan peserta: materi tidak sesuai silabus  "}
    await client.post(f"{CURATION}/{course['id']}/suspend", json=reason, headers=programme.headers)
    reinstated = await client.post(
        f"{CURATION}/{course['id']}/reinstate", json={"reason": "Diperbaiki"}, headers=programme.headers
    )
    steps = {step["action"]: step["reasons"] for step in reinstated.json()["curation_history"]}
    assert steps["suspend"] == ["Pengaduan peserta: materi tidak sesuai silabus"]
    assert steps["reinstate"] == ["Diperbaiki"]


async def test_approving_a_draft_is_an_invalid_transition(
    client: Client, partner_a: Credentials, programme: Credentials
) -> None:
    course = await create(client, partner_a)
    response = await client.post(f"{CURATION}/{course['id']}/approve", headers=programme.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state_transition"
    assert (await client.post(f"{CURATION}/crs_missing/approve", headers=programme.headers)).status_code == 404


async def test_curation_queue_is_oldest_first(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    ids = []
    for n in range(3):
        course = await create(client, partner_a, title=f"Queued {n}")
        await client.post(f"{COURSES}/{course['id']}/submit", headers=partner_a.headers)
        ids.append(course["id"])
    queue = (await client.get(CURATION, headers=programme.headers)).json()["items"]
    assert [c["id"] for c in queue] == ids
    drafts = (await client.get(CURATION, params={"status": "draft"}, headers=programme.headers)).json()["items"]
    assert drafts == []


async def test_archive(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    course = await approved(client, partner_a, programme)
    archived = await client.post(f"{COURSES}/{course['id']}/archive", headers=partner_a.headers)
    assert archived.json()["status"] == "archived"
    assert archived.json()["allowed_actions"] == []
    edit = await client.patch(
        f"{COURSES}/{course['id']}", json={"title": "x"}, headers={**partner_a.headers, "If-Match": "*"}
    )
    assert edit.status_code == 409
    assert (await client.post(f"{COURSES}/{course['id']}/archive", headers=partner_a.headers)).status_code == 409


# --- schedules -------------------------------------------------------------------------------------------------


async def test_schedules_are_checked_and_listed(client: Client, partner_a: Credentials) -> None:
    course = (await client.post(COURSES, json=scheduled_course_body("webinar"), headers=partner_a.headers)).json()
    url = f"{COURSES}/{course['id']}/schedules"
    too_big = await client.post(url, json=schedule_body(capacity=151), headers=partner_a.headers)
    assert too_big.status_code == 409
    assert too_big.json()["errors"][0]["field"] == "capacity"
    long_days = await client.post(url, json=schedule_body(days=4, hours_per_day=4), headers=partner_a.headers)
    assert long_days.status_code == 409
    no_link = await client.post(url, json=schedule_body(meeting_url=None), headers=partner_a.headers)
    assert no_link.status_code == 409
    created = await client.post(url, json=schedule_body(capacity=150), headers=partner_a.headers)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert created.headers["location"] == f"{url}/{schedule['id']}"
    assert (await client.get(created.headers["location"], headers=partner_a.headers)).json() == schedule
    assert schedule["seats_left"] == 150
    assert [s["sequence"] for s in schedule["sessions"]] == [1, 2, 3, 4, 5]
    assert (await client.get(url, headers=partner_a.headers)).json() == {"items": [schedule], "next_cursor": None}


async def test_offline_schedule_allows_eight_hours_a_day(client: Client, partner_a: Credentials) -> None:
    course = (await client.post(COURSES, json=scheduled_course_body("offline"), headers=partner_a.headers)).json()
    url = f"{COURSES}/{course['id']}/schedules"
    body = schedule_body(days=2, hours_per_day=8, meeting_url=None, location="Balai Latihan Kerja, Jakarta")
    assert (await client.post(url, json=body, headers=partner_a.headers)).status_code == 201
    self_paced = await create(client, partner_a)
    refused = await client.post(
        f"{COURSES}/{self_paced['id']}/schedules", json=schedule_body(), headers=partner_a.headers
    )
    assert refused.status_code == 409


# --- tenancy ---------------------------------------------------------------------------------------------------


async def test_partner_b_gets_404_on_every_path_of_a_course_of_a(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    course = await create_scheduled(client, partner_a)
    url = f"{COURSES}/{course['id']}"
    b = partner_b.headers
    attempts = [
        await client.get(url, headers=b),
        await client.patch(url, json={"title": "mine"}, headers={**b, "If-Match": "*"}),
        await client.post(f"{url}/submit", headers=b),
        await client.post(f"{url}/archive", headers=b),
        await client.get(f"{url}/schedules", headers=b),
        await client.post(f"{url}/schedules", json=schedule_body(), headers=b),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.method, response.request.url, response.text)
        assert response.json()["code"] == "not_found"
    assert (await client.get(COURSES, headers=b)).json()["items"] == []
    mine = (await client.get(url, headers=partner_a.headers)).json()
    assert mine["title"] == course["title"]
    assert mine["status"] == "draft"
