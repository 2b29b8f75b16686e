"""The error examples of the spec show what the server really answers: the same type, title, status and code (and,
where the server's wording does not depend on the request, the same detail)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from api.__main__ import openapi_document
from tests.auth import Credentials, token_for
from tests.factories import course_body

Client = AsyncTestClient[Any]
SAME_EVERYWHERE = ("type", "title", "status", "code")


def shown(operation_id: str, status: int) -> dict[str, Any]:
    """The body the spec's example shows for this operation's `status`."""
    spec = openapi_document()
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                media = operation["responses"][str(status)]["content"]["application/problem+json"]
                (example,) = media["examples"].values()
                name = example["$ref"].removeprefix("#/components/examples/")
                body: dict[str, Any] = spec["components"]["examples"][name]["value"]
                return body
    raise AssertionError(f"no operation {operation_id}")


def assert_answered_as_shown(answer: Any, operation_id: str, *, fields: tuple[str, ...] = SAME_EVERYWHERE) -> None:
    example = shown(operation_id, answer.status_code)
    body = answer.json()
    assert {field: body.get(field) for field in fields} == {field: example.get(field) for field in fields}


async def test_protocol_refusals_look_like_their_examples(client: Client, partner_a: Credentials) -> None:
    assert_answered_as_shown(await client.get("/v1/me"), "getMe")
    missing = await client.get("/v1/courses/crs_00000000000000000000", headers=partner_a.headers)
    assert_answered_as_shown(missing, "getCourse")
    plain = await client.post("/v1/courses", content=b"{}", headers={**partner_a.headers, "Content-Type": "text/plain"})
    assert_answered_as_shown(plain, "createCourse", fields=(*SAME_EVERYWHERE, "detail"))
    typed = await client.post("/v1/courses", json=course_body(price="750000"), headers=partner_a.headers)
    assert_answered_as_shown(typed, "createCourse", fields=(*SAME_EVERYWHERE, "detail"))


async def test_a_body_over_the_limit_is_a_documented_413(client: Client, programme: Credentials) -> None:
    """Every operation that takes a body documents the 413 (schemathesis' long run sent one to rejectCourse)."""
    huge = {"reasons": ["x" * 70_000]}
    refused = await client.post(
        "/v1/programme/courses/crs_00000000000000000000/reject", json=huge, headers=programme.headers
    )
    assert refused.status_code == 413, refused.text
    assert_answered_as_shown(refused, "rejectCourse", fields=(*SAME_EVERYWHERE, "detail"))


async def test_a_missing_scope_looks_like_its_example(client: Client, partner_a: Credentials) -> None:
    token = await token_for(client, partner_a.client_id, partner_a.client_secret, scope="courses:read")
    refused = await client.post("/v1/courses", json=course_body(), headers={"Authorization": f"Bearer {token}"})
    assert_answered_as_shown(refused, "createCourse")


async def test_a_rule_violation_looks_like_its_example(client: Client, partner_a: Credentials) -> None:
    created = await client.post("/v1/courses", json=course_body(), headers=partner_a.headers)
    course = created.json()["id"]
    assert (await client.post(f"/v1/courses/{course}/archive", headers=partner_a.headers)).status_code == 200
    again = await client.post(f"/v1/courses/{course}/archive", headers=partner_a.headers)
    assert_answered_as_shown(again, "archiveCourse")


async def test_a_failed_client_authentication_looks_like_its_oauth_example(
    client: Client, partner_a: Credentials
) -> None:
    refused = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(partner_a.client_id, "not-the-secret")
    )
    fields = (*SAME_EVERYWHERE, "detail", "error", "error_description")
    assert_answered_as_shown(refused, "issueToken", fields=fields)


async def test_a_json_body_at_the_token_endpoint_looks_like_its_example(client: Client, partner_a: Credentials) -> None:
    refused = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=(partner_a.client_id, partner_a.client_secret)
    )
    fields = (*SAME_EVERYWHERE, "detail", "error", "error_description")  # a plain problem: no RFC 6749 fields
    assert_answered_as_shown(refused, "issueToken", fields=fields)
