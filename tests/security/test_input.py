"""No input answers 500: deeply nested JSON is refused before decoding (issue 13, finding 5)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.http.json_depth import MAX_JSON_DEPTH, nests_deeper_than
from tests.auth import Credentials

Client = AsyncTestClient[Any]
ARRAYS = "[" * 1000 + "]" * 1000  # ~2 KB
OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000


def endpoints(programme: Credentials, partner: Credentials) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("POST", "/v1/courses", partner.headers),
        ("POST", "/v1/programme/partners", programme.headers),
        ("POST", "/v1/programme/participants", programme.headers),
        ("POST", f"/v1/programme/partners/{partner.partner_id}/clients", programme.headers),
    ]


@pytest.mark.parametrize("body", [ARRAYS, OBJECTS], ids=["arrays", "objects"])
async def test_deeply_nested_json_is_a_400_problem_on_every_json_endpoint(
    client: Client, programme: Credentials, partner_a: Credentials, body: str
) -> None:
    for method, path, headers in endpoints(programme, partner_a):
        for content_type in ("application/json", "text/plain"):
            response = await client.request(
                method, path, content=body, headers={**headers, "Content-Type": content_type}
            )
            assert response.status_code == 400, (path, content_type, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "invalid_request"


async def test_nesting_up_to_the_cap_reaches_validation(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    body = '{"jwks": ' + '{"k":' * (MAX_JSON_DEPTH - 2) + "1" + "}" * (MAX_JSON_DEPTH - 2) + "}"
    response = await client.post(
        f"/v1/programme/partners/{partner_a.partner_id}/clients",
        content=body,
        headers={**programme.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    assert not nests_deeper_than(('{"text": "' + "[" * 500 + '"}').encode(), MAX_JSON_DEPTH)
    assert not nests_deeper_than(('["\\"' + "{" * 500 + '"]').encode(), MAX_JSON_DEPTH)
    assert nests_deeper_than(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode(), MAX_JSON_DEPTH)
    assert not nests_deeper_than(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode(), MAX_JSON_DEPTH)
    assert not nests_deeper_than(("[]" * 5000).encode(), MAX_JSON_DEPTH)
