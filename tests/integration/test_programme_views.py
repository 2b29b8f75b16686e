"""Programme views for the portal: participant search, a participant's vouchers, the dashboard, a course under
review and a voucher's history."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import course_body, participant_body, schedule_body, scheduled_course_body
from tests.money import enrol, redeem, sold_voucher

Client = AsyncTestClient[Any]


async def on_sale(client: Client, partner: Credentials, programme: Credentials) -> str:
    """An approved self-paced course (sold without a schedule)."""
    created = await client.post("/v1/courses", json=course_body(), headers=partner.headers)
    course_id = str(created.json()["id"])
    assert (await client.post(f"/v1/courses/{course_id}/submit", headers=partner.headers)).status_code == 200
    approved = await client.post(f"/v1/programme/courses/{course_id}/approve", headers=programme.headers)
    assert approved.status_code == 200, approved.text
    return course_id


async def submitted_with_schedule(client: Client, partner: Credentials) -> str:
    created = await client.post("/v1/courses", json=scheduled_course_body(), headers=partner.headers)
    assert created.status_code == 201, created.text
    course_id = str(created.json()["id"])
    scheduled = await client.post(f"/v1/courses/{course_id}/schedules", json=schedule_body(), headers=partner.headers)
    assert scheduled.status_code == 201, scheduled.text
    assert (await client.post(f"/v1/courses/{course_id}/submit", headers=partner.headers)).status_code == 200
    return course_id


async def test_search_by_number_email_name_part_and_exact_nik(client: Client, programme: Credentials) -> None:
    body = participant_body(name="Dewi Lestari Wulandari", email="Dewi.Lestari@example.id")
    person = await enrol(client, programme, **{k: v for k, v in body.items() if k != "scheme"})
    await enrol(client, programme, name="Someone Else", email="else@example.id")
    search = "/v1/programme/participant-search"
    for query in (
        {"q": person["programme_number"].lower()},
        {"q": "dewi.lestari@EXAMPLE.id"},
        {"q": "lestari"},
        {"nik": body["nik"]},
    ):
        found = await client.get(search, params=query, headers=programme.headers)
        assert found.status_code == 200, found.text
        assert [p["id"] for p in found.json()] == [person["id"]], query
        assert "nik" not in found.json()[0]
    # A NIK matches only exactly; a name pattern's wildcard is just a character.
    other_nik = body["nik"][:-1] + str((int(body["nik"][-1]) + 1) % 10)
    assert (await client.get(search, params={"nik": other_nik}, headers=programme.headers)).json() == []
    assert (await client.get(search, params={"q": "%"}, headers=programme.headers)).json() == []
    assert (await client.get(search, headers=programme.headers)).json() == []
    refused = await client.get(search, params={"nik": "123"}, headers=programme.headers)
    assert refused.status_code in (400, 422)


async def test_a_participants_vouchers_and_a_vouchers_history(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    course_id = await on_sale(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course_id)
    listed = await client.get(
        f"/v1/programme/participants/{voucher['participant_id']}/vouchers", headers=programme.headers
    )
    assert listed.status_code == 200
    assert [(v["code"], v["status"], v["course_id"]) for v in listed.json()] == [(voucher["code"], "sold", course_id)]
    assert (await redeem(client, partner_a, voucher["code"])).status_code == 201
    trained = await client.get(
        f"/v1/programme/participants/{voucher['participant_id']}/vouchers", headers=programme.headers
    )
    training = trained.json()[0]
    assert training["enrollment_status"] == "active"
    assert training["sessions_attended"] == 0
    assert training["certificate_number"] is None
    shown = await client.get(f"/v1/programme/enrollments/{training['enrollment_id']}", headers=programme.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["id"] == training["enrollment_id"]
    listed_for_partner = await client.get(
        "/v1/programme/enrollments", params={"partner_id": partner_a.partner_id}, headers=programme.headers
    )
    assert [e["id"] for e in listed_for_partner.json()["items"]] == [training["enrollment_id"]]
    assert (await client.get("/v1/programme/enrollments/enr_nothing", headers=programme.headers)).status_code == 404
    incentive = await client.get(
        f"/v1/programme/participants/{voucher['participant_id']}/incentive", headers=programme.headers
    )
    assert incentive.status_code == 200
    assert incentive.json()["eligible"] is False
    history = await client.get(f"/v1/programme/vouchers/{voucher['code']}/history", headers=programme.headers)
    assert history.status_code == 200
    actions = [entry["action"] for entry in history.json()]
    assert actions[0].startswith("voucher.")
    assert any("redeem" in action for action in actions)
    missing = await client.get("/v1/programme/participants/par_nobody/vouchers", headers=programme.headers)
    assert missing.status_code == 404


async def test_a_course_under_review_shows_schedules_and_history(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    course_id = await submitted_with_schedule(client, partner_a)
    shown = await client.get(f"/v1/programme/courses/{course_id}", headers=programme.headers)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["course"]["status"] == "submitted"
    assert len(body["schedules"]) == 1
    assert body["schedules"][0]["sessions"]
    assert [step["action"] for step in body["course"]["curation_history"]] == ["submit"]
    assert (await client.get("/v1/programme/courses/crs_nothing", headers=programme.headers)).status_code == 404
    partner_view = await client.get(f"/v1/programme/courses/{course_id}", headers=partner_a.headers)
    assert partner_view.status_code == 404  # programme endpoints do not exist for a partner


async def test_the_dashboard_counts_today(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    before = (await client.get("/v1/programme/dashboard", headers=programme.headers)).json()
    assert len(before["days"]) == 30
    assert before["today"] == before["days"][-1]
    course_id = await on_sale(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course_id)
    assert (await redeem(client, partner_a, voucher["code"])).status_code == 201
    after = (await client.get("/v1/programme/dashboard", params={"days": 7}, headers=programme.headers)).json()
    assert len(after["days"]) == 7
    today, earlier = after["today"], before["today"]
    assert today["sales"] == earlier["sales"] + 1
    assert today["redemptions"] == earlier["redemptions"] + 1
    assert today["spent"] == earlier["spent"] + voucher["amount"]
    assert today["granted"] > earlier["granted"]
    assert (await client.get("/v1/programme/dashboard", headers=partner_a.headers)).status_code == 404


async def test_revoking_for_fraud_returns_the_balance_and_needs_no_open_voucher(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    person = await enrol(client, programme)
    path = f"/v1/programme/participants/{person['id']}"
    assert (await client.post(f"{path}/freeze", json={"reason": "check"}, headers=programme.headers)).status_code == 200
    revoked = await client.post(f"{path}/revoke", json={"reason": "identity fraud"}, headers=programme.headers)
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert body["status"] == "revoked"
    assert body["balance"] == 0
    assert body["ledger"][0]["kind"] == "lapse"
    again = await client.post(f"{path}/revoke", json={"reason": "again"}, headers=programme.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state_transition"

    course_id = await on_sale(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course_id)
    open_path = f"/v1/programme/participants/{voucher['participant_id']}/revoke"
    refused = await client.post(open_path, json={"reason": "fraud"}, headers=programme.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "active_training_exists"
    still = await client.get(f"/v1/programme/participants/{voucher['participant_id']}", headers=programme.headers)
    assert still.json()["status"] == "active"
