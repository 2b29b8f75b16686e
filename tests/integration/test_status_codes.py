"""201 only when something is created, with a Location that reads it back; every action on a resource is 200."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from api.__main__ import openapi_document
from tests.auth import Credentials
from tests.factories import course_body, participant_body
from tests.money import key, redeem

Client = AsyncTestClient[Any]

CREATORS = {
    "createCourse", "addSchedule", "enrolParticipant", "purchaseCourse", "createPartner", "createClient",
    "createTestParticipant", "createTestVoucher", "redeemVoucher", "issueCertificate", "createWebhookEndpoint",
    "logInStaff", "createDisbursementBatch", "recordSurveyIncentive",
}  # fmt: skip
DELETIONS = {"logOutStaff"}  # a staff session ends: 204, nothing to show


def test_the_spec_answers_201_with_location_only_for_creators_and_200_for_actions() -> None:
    for path, item in openapi_document()["paths"].items():
        post = item.get("post")
        if post is None:
            continue
        success = sorted(status for status in post["responses"] if int(status) < 300)
        if post["operationId"] in CREATORS:
            assert success == ["201"], path
            assert "Location" in post["responses"]["201"]["headers"], path
        elif post["operationId"] in DELETIONS:
            assert success == ["204"], path
        else:
            assert success == ["200"], (path, success)


async def test_creations_are_201_with_a_location_and_actions_are_200(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    async def created(response: Any, headers: dict[str, str]) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        again = await client.get(response.headers["location"], headers=headers)
        assert again.status_code == 200, (response.headers["location"], again.text)
        body: dict[str, Any] = response.json()
        return body

    async def action(path: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = await client.post(path, headers=headers, **kwargs)
        assert response.status_code == 200, (path, response.text)
        assert "location" not in response.headers
        body: dict[str, Any] = response.json()
        return body

    p, a = programme.headers, partner_a.headers
    partner = await created(
        await client.post(
            "/v1/programme/partners",
            json={"name": "Kelas Pintar", "kind": "platform", "contact_email": "ops@kelaspintar.example"},
            headers=p,
        ),
        p,
    )
    new_client = await created(
        await client.post(
            f"/v1/programme/partners/{partner['id']}/clients",
            json={"name": "LMS", "environment": "sandbox", "scopes": ["courses:read"]},
            headers=p,
        ),
        p,
    )
    await action(f"/v1/programme/clients/{new_client['client_id']}/rotate-secret", p)
    await action(f"/v1/programme/clients/{new_client['client_id']}/disable", p)
    await action(f"/v1/programme/partners/{partner['id']}/suspend", p)
    await action(f"/v1/programme/partners/{partner['id']}/reinstate", p)

    course = await created(await client.post("/v1/courses", json=course_body(), headers=a), a)
    await action(f"/v1/courses/{course['id']}/submit", a)
    await action(f"/v1/programme/courses/{course['id']}/approve", p)
    await action(f"/v1/programme/courses/{course['id']}/suspend", p)
    await action(f"/v1/programme/courses/{course['id']}/reinstate", p)

    participant = await created(await client.post("/v1/programme/participants", json=participant_body(), headers=p), p)
    purchases = f"/v1/programme/participants/{participant['id']}/purchases"
    voucher = await created(await client.post(purchases, json={"course_id": course["id"]}, headers={**p, **key()}), p)
    await action(f"/v1/programme/participants/{participant['id']}/freeze", p, json={"reason": "under review"})
    await action(f"/v1/programme/participants/{participant['id']}/unfreeze", p, json={"reason": "cleared"})
    await action(f"/v1/programme/participants/{participant['id']}/review", p)
    await created(await redeem(client, partner_a, voucher["code"]), a)
    await action(f"/v1/programme/vouchers/{voucher['code']}/cancel", {**p, **key()})

    other = await created(await client.post("/v1/programme/participants", json=participant_body(), headers=p), p)
    purchases = f"/v1/programme/participants/{other['id']}/purchases"
    sold = await created(await client.post(purchases, json={"course_id": course["id"]}, headers={**p, **key()}), p)
    await action(f"/v1/programme/vouchers/{sold['code']}/flag-fraud", p, json={"reason": "identity reused"})

    second = await created(await client.post("/v1/courses", json=course_body(), headers=a), a)
    await action(f"/v1/courses/{second['id']}/submit", a)
    await action(f"/v1/programme/courses/{second['id']}/reject", p, json={"reasons": ["Silabus belum lengkap"]})
    await action(f"/v1/courses/{second['id']}/archive", a)


async def test_a_valid_request_refused_by_what_is_stored_is_404_or_409_never_422(
    client: Client, programme: Credentials
) -> None:
    """422 means the request breaks the schema; naming something that does not exist is 404, and a duplicate 409."""
    url, p = "/v1/programme/participants", programme.headers
    first = participant_body()
    assert (await client.post(url, json=first, headers=p)).status_code == 201
    again = await client.post(url, json={**first, "nik": participant_body()["nik"]}, headers=p)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "participant_already_enrolled"
    assert again.json()["errors"][0]["field"] == "programme_number"
    unknown_scheme = await client.post(url, json=participant_body(scheme="1999"), headers=p)
    assert unknown_scheme.status_code == 404, unknown_scheme.text
    channel = await client.post("/v1/programme/disbursements", json={"channel": "no_such_bank"}, headers=p)
    assert channel.status_code == 404, channel.text
    assert channel.json()["code"] == "not_found"


async def test_a_partner_calling_a_programme_operation_gets_the_documented_404(
    client: Client, partner_a: Credentials
) -> None:
    """The programme's operations do not exist for a partner (never 403): every one of them documents that 404."""
    for path, item in openapi_document()["paths"].items():
        if path.startswith("/v1/programme/"):
            for method, operation in item.items():
                assert "404" in operation["responses"], (method, path)
    response = await client.get("/v1/programme/partners", headers=partner_a.headers)
    assert response.status_code == 404, response.text
