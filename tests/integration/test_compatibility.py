"""The incumbent's redeem-code API (docs/compatibility.md) against a sandbox deployment and real PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from dataclasses import replace
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.__main__ import main, openapi_document
from api.app import create_app
from api.auth.integration_signatures import sign
from api.http.request_context import RequestContext
from api.jobs.bootstrap import demo_partner_credentials, issue_integration_key
from api.jobs.worker import sweep
from api.services.clock import wall_clock
from api.settings import Settings
from tests.auth import Credentials, token_for
from tests.conftest import settings_for
from tests.courses import approved as approved_course
from tests.database import REPO_ROOT
from tests.factories import schedule_body, scheduled_course_body
from tests.money import buy, enrol, key, redeem, sold_voucher

Client = AsyncTestClient[Any]
BASE = "/api/v1/integration/payment/redeem-code"
STATUS = f"{BASE}/status"
COMMIT = f"{BASE}/commit"
PAYABLE_LINES = "SELECT partner_id, amount FROM statement_lines WHERE voucher_code = $1 AND kind = 'payable'"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(settings_for(db_url), app_env="sandbox")


async def fetch(db_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def issue_key(client: Client, programme: Credentials, partner: Credentials) -> dict[str, Any]:
    response = await client.post(
        f"/v1/programme/partners/{partner.partner_id}/integration-keys",
        json={"environment": "sandbox"},
        headers=programme.headers,
    )
    assert response.status_code == 200, response.text
    issued: dict[str, Any] = response.json()
    return issued


def signed(issued: dict[str, Any], path: str, body: dict[str, Any], *, timestamp: int | None = None) -> dict[str, Any]:
    """Request arguments as an incumbent client sends them: `json.dumps` on the wire, the compact form signed."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    compact = json.dumps(body, separators=(",", ":")).encode()
    return {
        "content": json.dumps(body),
        "headers": {
            "Content-Type": "application/json",
            "client_code": issued["client_code"],
            "timestamp": stamp,
            "signature": sign(issued["sign_key"], issued["client_code"], stamp, path, compact),
        },
    }


def assert_refused(response: Any, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"success", "code", "message", "data"}
    assert (body["success"], body["code"]) == (False, code), body
    if message is not None:
        assert body["message"] == message
    return body


@pytest.fixture
async def course(client: Client, partner_a: Credentials, programme: Credentials) -> dict[str, Any]:
    return await approved_course(client, partner_a, programme)


@pytest.fixture
async def key_a(client: Client, programme: Credentials, partner_a: Credentials) -> dict[str, Any]:
    return await issue_key(client, programme, partner_a)


# --- keys --------------------------------------------------------------------------------------------------------


async def test_keys_are_shown_once_stored_sealed_and_rotate_with_an_overlap(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    first = await issue_key(client, programme, partner_a)
    assert first["client_code"].startswith("icc_")
    assert len(first["sign_key"]) == 64
    assert first["previous_sign_key_expires_at"] is None
    stored = await fetch(db_url, "SELECT * FROM integration_keys")
    assert len(stored) == 1
    assert first["sign_key"].encode() not in bytes(stored[0]["sign_key_encrypted"])
    audit = await fetch(db_url, "SELECT after::text AS after FROM audit_log WHERE entity_type = 'integration_key'")
    assert audit
    assert all(first["sign_key"] not in row["after"] for row in audit)

    second = await issue_key(client, programme, partner_a)
    assert second["client_code"] == first["client_code"]
    assert second["sign_key"] != first["sign_key"]
    assert second["previous_sign_key_expires_at"] is not None
    voucher = await sold_voucher(client, programme, course["id"])
    for issued in (first, second):  # the old key works through the overlap, the new one at once
        response = await client.post(STATUS, **signed(issued, STATUS, {"redeem_code": voucher["code"]}))
        assert response.json()["success"] is True, response.text
    await fetch(db_url, "UPDATE integration_keys SET previous_sign_key_expires_at = now() - interval '1 second'")
    late = await client.post(STATUS, **signed(first, STATUS, {"redeem_code": voucher["code"]}))
    assert_refused(late, 401, "invalid_signature")


async def test_only_the_programme_issues_keys(client: Client, partner_a: Credentials, programme: Credentials) -> None:
    url = f"/v1/programme/partners/{partner_a.partner_id}/integration-keys"
    assert (await client.post(url, json={"environment": "sandbox"}, headers=partner_a.headers)).status_code == 404
    wrong_env = await client.post(url, json={"environment": "production"}, headers=programme.headers)
    assert (wrong_env.status_code, wrong_env.json()["code"]) == (409, "environment_not_served")
    unknown = await client.post(
        "/v1/programme/partners/prt_nobody/integration-keys", json={"environment": "sandbox"}, headers=programme.headers
    )
    assert unknown.status_code == 404


# --- status and commit ---------------------------------------------------------------------------------------------


async def test_status_then_commit_is_the_v1_redemption(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    key_a: dict[str, Any],
    db_url: str,
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    code = voucher["code"]
    status = await client.post(STATUS, **signed(key_a, STATUS, {"redeem_code": code}))
    assert status.status_code == 200, status.text
    checked = status.json()
    assert (checked["success"], checked["code"], checked["message"]) == (True, "ok", "OK")
    assert checked["data"]["status"] == "sold"
    assert checked["data"]["usable"] is True
    assert checked["data"]["course_title"] == course["title"]
    assert checked["data"]["schedule"] is None
    assert checked["data"]["participant_name_masked"] == voucher["participant"]["name_masked"]

    committed_at = int(time.time())
    committed = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code}, timestamp=committed_at))
    assert committed.status_code == 200, committed.text
    data = committed.json()["data"]
    assert committed.json()["success"] is True
    assert (data["status"], data["usable"], data["learner_ref"]) == ("redeemed", False, f"redeem_code:{code}")
    enrollment = await client.get(f"/v1/enrollments/{data['enrollment_id']}", headers=partner_a.headers)
    assert enrollment.status_code == 200
    assert enrollment.json()["voucher_code"] == code

    # The same writes as /v1: one settlement line, one audit row naming the client_code, one event.
    lines = await fetch(db_url, PAYABLE_LINES, code)
    assert [(r["partner_id"], r["amount"]) for r in lines] == [(partner_a.partner_id, voucher["amount"])]
    audit = await fetch(
        db_url,
        "SELECT actor_type, actor_id, partner_id, request_id FROM audit_log WHERE action = 'voucher.redeemed' "
        "AND entity_id = $1",
        code,
    )
    assert [(r["actor_type"], r["actor_id"], r["partner_id"]) for r in audit] == [
        ("partner_client", key_a["client_code"], partner_a.partner_id)
    ]
    assert audit[0]["request_id"] == committed.headers["x-request-id"]
    events = await fetch(
        db_url, "SELECT partner_id FROM events WHERE type = 'voucher.redeemed' AND entity_id = $1", code
    )
    assert [r["partner_id"] for r in events] == [partner_a.partner_id]

    # A blind retry (signed afresh, as every incumbent call is) answers the same enrollment and changes nothing.
    # (Its own timestamp: the same second would make the same signature, which is a replay and refused as one.)
    retry = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code}, timestamp=committed_at - 1))
    assert retry.status_code == 200, retry.text
    assert retry.json()["data"]["enrollment_id"] == data["enrollment_id"]
    assert retry.json()["data"]["redeemed_at"] == data["redeemed_at"]
    assert len(await fetch(db_url, PAYABLE_LINES, code)) == 1
    assert (
        len(await fetch(db_url, "SELECT 1 FROM events WHERE type = 'voucher.redeemed' AND entity_id = $1", code)) == 1
    )


async def test_sequence_records_attendance_with_the_commit(
    client: Client, programme: Credentials, course: dict[str, Any], key_a: dict[str, Any]
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    first = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code, "sequence": 1}))
    assert first.status_code == 200, first.text
    assert first.json()["data"]["attended_sequences"] == [1]
    second = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code, "sequence": 2}))
    assert second.json()["data"]["attended_sequences"] == [1, 2]
    assert second.json()["data"]["enrollment_id"] == first.json()["data"]["enrollment_id"]
    beyond = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code, "sequence": 6}))
    assert_refused(beyond, 422, "validation_failed", "The request is not valid.")
    post_test = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code, "sequence": 999}))
    body = assert_refused(post_test, 422, "validation_failed")
    assert "assessment" in body["data"]["detail"]


# --- refusals ------------------------------------------------------------------------------------------------------


async def test_wrong_signature_stale_timestamp_and_replay_are_refused(
    client: Client, programme: Credentials, course: dict[str, Any], key_a: dict[str, Any], db_url: str
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    body = {"redeem_code": code}
    forged = signed({**key_a, "sign_key": "not-the-key"}, COMMIT, body)
    assert_refused(await client.post(COMMIT, **forged), 401, "invalid_signature")
    other_path = signed(key_a, STATUS, body)  # a status signature does not commit
    assert_refused(await client.post(COMMIT, **other_path), 401, "invalid_signature")
    unknown = signed({**key_a, "client_code": "icc_unknown"}, COMMIT, body)
    assert_refused(await client.post(COMMIT, **unknown), 401, "invalid_signature")
    missing = signed(key_a, COMMIT, body)
    del missing["headers"]["signature"]
    assert_refused(await client.post(COMMIT, **missing), 401, "invalid_signature")
    stale = signed(key_a, COMMIT, body, timestamp=int(time.time()) - 301)
    assert_refused(
        await client.post(COMMIT, **stale),
        401,
        "stale_timestamp",
        "The timestamp is more than 300 seconds away from the server's time.",
    )
    future = signed(key_a, COMMIT, body, timestamp=int(time.time()) + 400)
    assert_refused(await client.post(COMMIT, **future), 401, "stale_timestamp")
    assert await fetch(db_url, "SELECT 1 FROM enrollments") == []

    request = signed(key_a, STATUS, body)
    assert (await client.post(STATUS, **request)).status_code == 200
    assert_refused(
        await client.post(STATUS, **request),
        401,
        "replayed_request",
        "This signed request was already received; sign every request with a new timestamp.",
    )


async def test_a_foreign_code_reads_as_not_found(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    partner_b: Credentials,
    course: dict[str, Any],
    key_a: dict[str, Any],
    db_url: str,
) -> None:
    key_b = await issue_key(client, programme, partner_b)
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    first_tried = int(time.time())
    for path in (STATUS, COMMIT):
        body = assert_refused(
            await client.post(path, **signed(key_b, path, {"redeem_code": code}, timestamp=first_tried)),
            404,
            "not_found",
            "Redeem code not found.",
        )
        assert body["data"] == {"detail": "No voucher has this code."}
    # Partner A commits it; a second commit by partner B still learns nothing about it.
    assert (await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code}))).status_code == 200
    again = signed(key_b, COMMIT, {"redeem_code": code}, timestamp=first_tried - 1)  # not a replay of the first
    assert_refused(await client.post(COMMIT, **again), 404, "not_found")
    mistyped = signed(key_a, COMMIT, {"redeem_code": "SBX-0000-0000-0000"})
    assert_refused(await client.post(COMMIT, **mistyped), 404, "not_found")
    assert len(await fetch(db_url, "SELECT 1 FROM enrollments WHERE voucher_code = $1", code)) == 1


async def test_a_code_redeemed_through_v1_is_already_used(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], key_a: dict[str, Any]
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    assert (await redeem(client, partner_a, code)).status_code == 201
    assert_refused(
        await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code})),
        409,
        "voucher_already_redeemed",
        "Redeem code has already been used.",
    )
    status = await client.post(STATUS, **signed(key_a, STATUS, {"redeem_code": code}))
    assert (status.json()["data"]["status"], status.json()["data"]["usable"]) == ("redeemed", False)


async def test_an_expired_code_is_refused(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], key_a: dict[str, Any]
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    advanced = await client.post("/v1/sandbox/clock/advance", json={"seconds": 31 * 86400}, headers=partner_a.headers)
    assert advanced.status_code == 200, advanced.text
    assert_refused(
        await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code})),
        409,
        "voucher_expired",
        "Redeem code has expired.",
    )


async def test_a_cancelled_code_and_bad_bodies_are_refused_in_the_envelope(
    client: Client, programme: Credentials, course: dict[str, Any], key_a: dict[str, Any]
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    cancelled = await client.post(
        f"/v1/programme/vouchers/{code}/cancel", json={}, headers={**programme.headers, **key()}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert_refused(
        await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code})),
        409,
        "voucher_cancelled",
        "Redeem code has been cancelled.",
    )
    unknown_field = await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code, "partner_id": "x"}))
    body = assert_refused(unknown_field, 422, "validation_failed")
    assert body["data"]["errors"][0]["field"] == "partner_id"
    not_an_object = signed(key_a, COMMIT, {"redeem_code": code}, timestamp=int(time.time()) - 2)  # not a replay
    not_an_object["content"] = "[]"
    assert_refused(await client.post(COMMIT, **not_an_object), 400, "invalid_request")


async def test_a_scheduled_code_outside_its_window_is_refused(
    client: Client, programme: Credentials, partner_a: Credentials, key_a: dict[str, Any]
) -> None:
    created = await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)
    course = created.json()
    schedule = await client.post(
        f"/v1/courses/{course['id']}/schedules", json=schedule_body(), headers=partner_a.headers
    )
    assert schedule.status_code == 201, schedule.text
    await client.post(f"/v1/courses/{course['id']}/submit", headers=partner_a.headers)
    await client.post(f"/v1/programme/courses/{course['id']}/approve", headers=programme.headers)
    person = await enrol(client, programme)
    bought = await buy(client, programme, person["id"], course["id"], schedule.json()["id"])
    assert bought.status_code == 201, bought.text
    code = bought.json()["code"]
    status = (await client.post(STATUS, **signed(key_a, STATUS, {"redeem_code": code}))).json()["data"]
    assert (status["usable"], status["schedule"]["id"]) == (False, schedule.json()["id"])
    assert status["schedule"]["starts_at"] == schedule.json()["starts_at"]
    assert_refused(
        await client.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code})),
        409,
        "redemption_window_closed",
        "Redeem code can be used only from 1 hour before to 1 hour after its schedule starts.",
    )


async def test_a_suspended_partners_key_stops_working(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], key_a: dict[str, Any]
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    suspended = await client.post(f"/v1/programme/partners/{partner_a.partner_id}/suspend", headers=programme.headers)
    assert suspended.status_code < 300, suspended.text
    assert_refused(await client.post(STATUS, **signed(key_a, STATUS, {"redeem_code": code})), 401, "invalid_signature")


async def test_the_v1_rate_limit_applies_per_client_code(settings: Settings, key_a: dict[str, Any]) -> None:
    strict = create_app(replace(settings, rate_limit_per_minute=2))
    async with AsyncTestClient(app=RequestContext(strict)) as limited:  # type: ignore[arg-type]
        now = int(time.time())
        answers = [
            await limited.post(
                STATUS, **signed(key_a, STATUS, {"redeem_code": "SBX-0000-0000-0000"}, timestamp=now - n)
            )
            for n in range(3)
        ]
    assert [a.status_code for a in answers[:2]] == [404, 404]
    refused = assert_refused(answers[2], 429, "rate_limited")
    assert refused["success"] is False
    assert int(answers[2].headers["retry-after"]) >= 1


async def test_the_worker_forgets_signatures_that_left_the_window(
    client: Client, programme: Credentials, course: dict[str, Any], key_a: dict[str, Any], db_url: str
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    now = int(time.time())
    for stamp in (now, now - 1):
        assert (
            await client.post(STATUS, **signed(key_a, STATUS, {"redeem_code": code}, timestamp=stamp))
        ).status_code == 200
    await fetch(
        db_url,
        "UPDATE integration_signatures_seen SET expires_at = now() - interval '1 second' WHERE signed_at = $1",
        now - 1,
    )
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        report = await sweep(pool, wall_clock())
    finally:
        await pool.close()
    assert report.integration_signatures_deleted == 1
    assert [r["signed_at"] for r in await fetch(db_url, "SELECT signed_at FROM integration_signatures_seen")] == [now]


def test_the_cli_issues_the_demo_partners_key(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APP_ENV", "sandbox")
    monkeypatch.setenv("KEY_ENCRYPTION_KEY", settings.key_encryption_key or "")
    monkeypatch.setattr("api.__main__.configure_logging", lambda level: None)  # keep pytest's log capture
    assert main(["integration-keys", "issue"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["partner_id"] == "prt_demo"
    assert first["client_code"].startswith("icc_")
    assert main(["integration-keys", "issue"]) == 0  # again: rotated, same client code
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["client_code"] == first["client_code"]
    assert second["sign_key"] != first["sign_key"]


# --- exactly once, across layers, with real concurrency ---------------------------------------------------------


async def test_a_hundred_concurrent_commits_across_both_layers_redeem_once(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    course: dict[str, Any],
    key_a: dict[str, Any],
    db_url: str,
    live_url: str,
) -> None:
    code = (await sold_voucher(client, programme, course["id"]))["code"]
    now = int(time.time())
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as live:
        # Each compatibility request is signed at its own second, so none is a replay of another.
        compat = [
            live.post(COMMIT, **signed(key_a, COMMIT, {"redeem_code": code}, timestamp=now - n)) for n in range(50)
        ]
        v1 = [redeem(live, partner_a, code, f"learner-{n}") for n in range(50)]  # type: ignore[arg-type]
        calls = [c for pair in zip(compat, v1, strict=True) for c in pair]
        responses = await asyncio.gather(*calls)
    compat_answers, v1_answers = responses[0::2], responses[1::2]
    enrollments = await fetch(db_url, "SELECT id, learner_ref FROM enrollments WHERE voucher_code = $1", code)
    assert len(enrollments) == 1
    assert len(await fetch(db_url, PAYABLE_LINES, code)) == 1
    assert (
        len(await fetch(db_url, "SELECT 1 FROM events WHERE type = 'voucher.redeemed' AND entity_id = $1", code)) == 1
    )
    won_by_compat = enrollments[0]["learner_ref"] == f"redeem_code:{code}"
    if won_by_compat:
        # Every compatibility commit was this partner's own: each answers the one enrollment.
        assert {r.status_code for r in compat_answers} == {200}
        assert {r.json()["data"]["enrollment_id"] for r in compat_answers} == {enrollments[0]["id"]}
        assert {r.status_code for r in v1_answers} == {409}
    else:
        assert sorted(r.status_code for r in v1_answers) == [201] + [409] * 49
        assert {(r.status_code, r.json()["code"]) for r in compat_answers} == {(409, "voucher_already_redeemed")}


# --- the incumbent's own example client, unchanged but for its base URL -------------------------------------------


def example_client() -> ModuleType:
    path = REPO_ROOT / "examples" / "incumbent_redeem_code.py"
    spec = importlib.util.spec_from_file_location("incumbent_redeem_code", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_incumbents_example_client_checks_and_commits_against_a_live_sandbox(
    settings: Settings, live_url: str
) -> None:
    demo = await demo_partner_credentials(settings)
    issued = await issue_integration_key(settings)  # what `python -m api integration-keys issue` prints
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        token = await token_for(http, demo.client_id, demo.client_secret)  # type: ignore[arg-type]
        oauth = {"Authorization": f"Bearer {token}"}
        courses = (await http.get("/v1/courses", headers=oauth)).json()["items"]
        self_paced = next(c for c in courses if c["format"] == "self_paced")
        sold = await http.post("/v1/sandbox/vouchers", json={"course_id": self_paced["id"]}, headers=oauth)
        assert sold.status_code == 201, sold.text
        code = sold.json()["code"]
        assert code.startswith("SBX-")

        module = example_client()
        status = await asyncio.to_thread(module.check_redeem_code, live_url, issued.client_code, issued.sign_key, code)
        assert (status["success"], status["data"]["usable"]) == (True, True), status
        committed = await asyncio.to_thread(
            module.commit_redeem_code, live_url, issued.client_code, issued.sign_key, code
        )
        assert committed["success"] is True, committed

        enrollment = await http.get(f"/v1/enrollments/{committed['data']['enrollment_id']}", headers=oauth)
        assert enrollment.status_code == 200
        assert (enrollment.json()["voucher_code"], enrollment.json()["status"]) == (code, "active")
        voucher = await http.get(f"/v1/vouchers/{code}", headers=oauth)
        assert voucher.json()["status"] == "redeemed"


def test_the_openapi_document_marks_the_layer_transitional_and_documents_its_envelope() -> None:
    spec = openapi_document()
    tag = next(t for t in spec["tags"] if t["name"] == "Compatibility")
    assert "OAuth" in tag["description"]
    assert "deprecated" in tag["description"].lower()
    for path in (STATUS, COMMIT):
        operation = spec["paths"][path]["post"]
        assert (operation["tags"], operation["deprecated"]) == (["Compatibility"], True)
        assert not operation.get("security")  # signed headers, not OAuth
        assert {p["name"] for p in operation["parameters"] if p["in"] == "header"} >= {
            "client_code",
            "timestamp",
            "signature",
        }
        for status, response in operation["responses"].items():
            schema = response["content"]["application/json"]["schema"]["$ref"]
            assert schema.startswith("#/components/schemas/Envelope"), (path, status)
        assert "stale_timestamp" in operation["responses"]["401"]["description"]
