"""Inputs are strict: JSON bodies only, exact types, times with an offset (in bodies and in query strings)."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.factories import course_body
from tests.money import key

Client = AsyncTestClient[Any]


async def test_a_text_plain_body_is_415_and_redeems_nothing(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        "/v1/vouchers/SBX-AAAA-AAAA-AAAA/redeem",
        content=json.dumps({"learner_ref": "lms-1"}),
        headers={**partner_a.headers, **key(), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "unsupported_media_type"
    assert "application/json" in body["detail"]


async def test_a_body_without_content_type_is_415(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        "/v1/courses", content=json.dumps(course_body()).encode(), headers={**partner_a.headers, "Content-Type": ""}
    )
    assert response.status_code == 415, response.text


async def test_a_string_typed_integer_is_422(client: Client, partner_a: Credentials) -> None:
    response = await client.post("/v1/courses", json=course_body(hours="15"), headers=partner_a.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "hours", "message": "Expected `int`, got `str`"}]
    assert (await client.get("/v1/courses", headers=partner_a.headers)).json()["items"] == []


async def test_an_integral_number_with_a_fraction_is_the_integer_but_a_fraction_is_not(
    client: Client, partner_a: Credentials
) -> None:
    # JSON Schema's `integer` is any number with no fractional part: 15.0 is 15, as the spec promises.
    whole = await client.post("/v1/courses", json=course_body(hours=15.0, price=250000.0), headers=partner_a.headers)
    assert whole.status_code == 201, whole.text
    assert (whole.json()["hours"], whole.json()["price"]) == (15, 250000)
    fraction = await client.post("/v1/courses", json=course_body(hours=15.5), headers=partner_a.headers)
    assert fraction.status_code == 422, fraction.text
    assert fraction.json()["errors"] == [{"field": "hours", "message": "Expected `int`, got `float`"}]
    mixed = await client.post("/v1/courses", json=course_body(hours=15.0, price="250000"), headers=partner_a.headers)
    assert mixed.status_code == 422, mixed.text


async def test_json_with_charset_is_accepted(client: Client, partner_a: Credentials) -> None:
    response = await client.post(
        "/v1/courses",
        content=json.dumps(course_body()).encode(),
        headers={**partner_a.headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


async def test_a_number_is_not_a_timestamp_and_a_naive_time_says_so(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    url = "/v1/programme/participants"
    number = await client.post(url, json=participant(accepted_at=1764547200), headers=programme.headers)
    assert number.status_code == 422, number.text
    assert number.json()["errors"][0]["field"] == "accepted_at"
    naive = await client.post(url, json=participant(accepted_at="2026-11-28T09:00:00"), headers=programme.headers)
    assert naive.status_code == 422, naive.text
    assert naive.json()["errors"] == [{"field": "accepted_at", "message": naive_message()}]


async def test_an_optional_body_may_be_left_out_but_not_sent_loosely(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    url = f"/v1/programme/clients/{partner_a.client_id}/disable"
    loose = await client.post(
        url, content=b'{"reason": 1}', headers={**programme.headers, "Content-Type": "text/plain"}
    )
    assert loose.status_code == 415
    assert (await client.post(url, headers=programme.headers)).status_code == 200


async def test_query_times_need_an_offset_and_an_unencoded_plus_gets_a_hint(
    client: Client, partner_a: Credentials
) -> None:
    encoded = await client.get("/v1/enrollments?updated_since=2026-11-28T16:00:00%2B07:00", headers=partner_a.headers)
    assert encoded.status_code == 200, encoded.text
    zulu = await client.get(
        "/v1/enrollments", params={"updated_since": "2026-11-28T09:00:00Z"}, headers=partner_a.headers
    )
    assert zulu.status_code == 200, zulu.text

    plus = await client.get("/v1/enrollments?updated_since=2026-11-28T16:00:00+07:00", headers=partner_a.headers)
    assert plus.status_code == 422, plus.text
    problem = plus.json()["errors"][0]
    assert problem["field"] == "updated_since"
    assert "%2B" in problem["message"]

    naive = await client.get(
        "/v1/enrollments", params={"updated_since": "2026-11-28T09:00:00"}, headers=partner_a.headers
    )
    assert naive.status_code == 422, naive.text
    assert naive.json()["errors"] == [{"field": "updated_since", "message": naive_message()}]

    for number in ("0.5", "1764547200"):  # Litestar alone would read a number as a Unix time
        unix = await client.get("/v1/enrollments", params={"updated_since": number}, headers=partner_a.headers)
        assert unix.status_code == 422, unix.text
        assert unix.json()["errors"][0]["field"] == "updated_since"


async def test_aliased_query_times_are_checked_under_the_name_a_client_sends(
    client: Client, programme: Credentials
) -> None:
    for name in ("from", "to"):  # QueryParameter(name="from") on a parameter the handler calls `since`
        for value in ("0.5", "2026-11-28T09:00:00"):
            response = await client.get("/v1/programme/audit", params={name: value}, headers=programme.headers)
            assert response.status_code == 422, (name, value, response.text)
            assert response.json()["errors"][0]["field"] == name


def naive_message() -> str:
    return "must carry a UTC offset, e.g. 2026-11-28T09:00:00Z or 2026-11-28T16:00:00+07:00"


def participant(**overrides: Any) -> dict[str, Any]:
    from tests.factories import participant_body

    return participant_body(**overrides)
