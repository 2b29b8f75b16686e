"""The partner sandbox: simulation endpoints, the test clock, reset, and where the sandbox does not exist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.app import asgi_app
from api.jobs.bootstrap import demo_partner_credentials
from api.settings import Settings
from tests.auth import Credentials, token_for
from tests.conftest import settings_for
from tests.database import fetch
from tests.factories import course_body, iso, schedule_body, scheduled_course_body
from tests.money import key, ledger_consistent
from tests.unit.scheme_fixtures import SCHEME_2024

Client = AsyncTestClient[Any]
SANDBOX_PATHS = [
    ("POST", "/v1/sandbox/participants"),
    ("POST", "/v1/sandbox/vouchers"),
    ("POST", "/v1/sandbox/courses/crs_x/approve"),
    ("GET", "/v1/sandbox/clock"),
    ("POST", "/v1/sandbox/clock/advance"),
    ("POST", "/v1/sandbox/reset"),
]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(settings_for(db_url), app_env="sandbox")


async def my_approved_course(client: Client, partner: Credentials, **overrides: Any) -> dict[str, Any]:
    course = (await client.post("/v1/courses", json=course_body(**overrides), headers=partner.headers)).json()
    approved = await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    body: dict[str, Any] = approved.json()
    return body


async def test_sandbox_paths_do_not_exist_outside_the_sandbox(db_url: str, partner_a: Credentials) -> None:
    for mode in ("development", "production"):
        other = replace(settings_for(db_url), app_env=mode)  # type: ignore[arg-type]
        async with AsyncTestClient(app=asgi_app(other)) as client:  # type: ignore[arg-type]
            for method, path in SANDBOX_PATHS:
                response = await client.request(method, path, headers=partner_a.headers, json={})
                assert response.status_code == 404, (mode, path, response.status_code)


async def test_sandbox_client_gets_404_on_programme_endpoints(client: Client, partner_a: Credentials) -> None:
    for path in ("/v1/programme/partners", "/v1/programme/participants", "/v1/programme/courses"):
        assert (await client.get(path, headers=partner_a.headers)).status_code == 404


async def test_self_approval_runs_the_same_rules(client: Client, partner_a: Credentials) -> None:
    webinar = (
        await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)
    ).json()
    refused = await client.post(f"/v1/sandbox/courses/{webinar['id']}/approve", headers=partner_a.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "course_rule_violated"


async def test_from_test_participant_to_redeemed_voucher(client: Client, partner_a: Credentials) -> None:
    course = await my_approved_course(client, partner_a)
    person = (await client.post("/v1/sandbox/participants", json={"scheme": "2020"}, headers=partner_a.headers)).json()
    assert person["balance"] == 1_000_000
    too_dear = await client.post(
        "/v1/sandbox/vouchers",
        json={"course_id": course["id"], "participant_id": person["id"]},
        headers=partner_a.headers,
    )
    assert too_dear.json()["code"] == "insufficient_balance"
    sold = await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    assert sold.status_code == 201, sold.text
    code = sold.json()["code"]
    assert code.startswith("SBX-")
    redeemed = await client.post(
        f"/v1/vouchers/{code}/redeem", json={"learner_ref": "sandbox-learner"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201


async def test_other_partners_course_or_participant_is_404(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    course = await my_approved_course(client, partner_a)
    person = (await client.post("/v1/sandbox/participants", headers=partner_b.headers)).json()
    assert (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_b.headers)
    ).status_code == 404
    assert (
        await client.post(
            "/v1/sandbox/vouchers",
            json={"course_id": course["id"], "participant_id": person["id"]},
            headers=partner_a.headers,
        )
    ).status_code == 404
    assert (
        await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_b.headers)
    ).status_code == 404


async def test_advancing_the_clock_expires_a_sold_voucher_and_refunds(
    client: Client, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    course = await my_approved_course(client, partner_a)
    person = (await client.post("/v1/sandbox/participants", headers=partner_a.headers)).json()
    sold = (
        await client.post(
            "/v1/sandbox/vouchers",
            json={"course_id": course["id"], "participant_id": person["id"]},
            headers=partner_a.headers,
        )
    ).json()
    before = (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()
    assert before["offset_seconds"] == 0
    advanced = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 31 * 24 * 3600}, headers=partner_a.headers
    )
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["expired_vouchers"] == 1
    assert advanced.json()["offset_seconds"] == 31 * 24 * 3600
    voucher = (await client.get(f"/v1/vouchers/{sold['code']}", headers=partner_a.headers)).json()
    assert voucher["status"] == "expired"
    refunds = await fetch(
        db_url, "SELECT amount FROM ledger_entries WHERE kind = 'refund' AND voucher_code = $1", sold["code"]
    )
    assert [r["amount"] for r in refunds] == [1_500_000]
    # 31 days on may also pass the scheme's balance deadline (15 December), which lapses the refunded balance.
    lapsed = SCHEME_2024.balance_lapsed(
        datetime.fromisoformat(before["now"]), datetime.fromisoformat(advanced.json()["now"])
    )
    assert await _balance(db_url, person["id"]) == (0 if lapsed else 3_500_000)
    other_clock = (await client.get("/v1/sandbox/clock", headers=partner_b.headers)).json()
    assert other_clock["offset_seconds"] == 0, "each partner has its own clock"
    await ledger_consistent(db_url)


async def _balance(db_url: str, participant_id: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval("SELECT balance FROM balances WHERE participant_id = $1", participant_id))
    finally:
        await conn.close()


async def test_the_test_clock_drives_completion(client: Client, partner_a: Credentials) -> None:
    course = await my_approved_course(client, partner_a)
    sold = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()
    enrollment = (
        await client.post(
            f"/v1/vouchers/{sold['code']}/redeem",
            json={"learner_ref": "clocked"},
            headers={**partner_a.headers, **key()},
        )
    ).json()
    url = f"/v1/enrollments/{enrollment['id']}"
    now = (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["now"]
    for sequence in range(1, 6):
        await client.put(f"{url}/attendance/{sequence}", json={"attended_at": now}, headers=partner_a.headers)
    await client.put(f"{url}/assessment", json={"score": 80, "assessed_at": now}, headers=partner_a.headers)
    early = await client.post(f"{url}/completion", json={"completed_at": now}, headers={**partner_a.headers, **key()})
    assert early.json()["code"] == "completion_too_early"
    later = (
        await client.post("/v1/sandbox/clock/advance", json={"seconds": 5 * 24 * 3600}, headers=partner_a.headers)
    ).json()["now"]
    done = await client.post(f"{url}/completion", json={"completed_at": later}, headers={**partner_a.headers, **key()})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"


async def test_scheduled_redemption_window_follows_the_test_clock(client: Client, partner_a: Credentials) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)).json()
    schedule = (
        await client.post(f"/v1/courses/{course['id']}/schedules", json=schedule_body(), headers=partner_a.headers)
    ).json()
    await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_a.headers)
    sold = (
        await client.post(
            "/v1/sandbox/vouchers",
            json={"course_id": course["id"], "schedule_id": schedule["id"]},
            headers=partner_a.headers,
        )
    ).json()
    shown = (await client.get(f"/v1/vouchers/{sold['code']}", headers=partner_a.headers)).json()
    assert shown["allowed_actions"] == ["void"]
    from datetime import datetime

    starts = datetime.fromisoformat(schedule["starts_at"])
    now = datetime.fromisoformat((await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["now"])
    seconds = int((starts - now - timedelta(minutes=30)).total_seconds())
    await client.post("/v1/sandbox/clock/advance", json={"seconds": seconds}, headers=partner_a.headers)
    shown = (await client.get(f"/v1/vouchers/{sold['code']}", headers=partner_a.headers)).json()
    assert shown["allowed_actions"] == ["redeem", "void"]
    redeemed = await client.post(
        f"/v1/vouchers/{sold['code']}/redeem", json={"learner_ref": "on-time"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201, redeemed.text
    assert iso(datetime.fromisoformat(redeemed.json()["redeemed_at"])) > iso(starts - timedelta(hours=1))


async def test_reset_deletes_my_sandbox_data_only(
    client: Client, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    course = await my_approved_course(client, partner_a)
    kept = await my_approved_course(client, partner_b, title="B keeps this")
    sold = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()
    await client.post(
        f"/v1/vouchers/{sold['code']}/redeem", json={"learner_ref": "x"}, headers={**partner_a.headers, **key()}
    )
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner_a.headers)
    report = await client.post("/v1/sandbox/reset", headers=partner_a.headers)
    assert report.status_code == 200, report.text
    assert report.json() == {"courses": 1, "vouchers": 1, "participants": 1, "kept_courses": 0}
    assert (await client.get("/v1/courses", headers=partner_a.headers)).json()["items"] == []
    assert (await client.get(f"/v1/vouchers/{sold['code']}", headers=partner_a.headers)).status_code == 404
    assert (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["offset_seconds"] == 0
    assert [c["id"] for c in (await client.get("/v1/courses", headers=partner_b.headers)).json()["items"]] == [
        kept["id"]
    ]
    await ledger_consistent(db_url)


async def test_the_worker_sweep_honours_each_partners_test_clock(
    client: Client, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    import asyncpg

    from api.jobs.worker import sweep
    from api.services.clock import wall_clock

    codes = []
    for partner in (partner_a, partner_b):
        course = await my_approved_course(client, partner)
        sold = await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner.headers)
        codes.append(sold.json()["code"])
    conn = await asyncpg.connect(db_url)
    try:  # only A's clock moves (as if advanced while the worker was down)
        await conn.execute(
            "INSERT INTO sandbox_clocks (partner_id, offset_seconds) VALUES ($1, $2)", partner_a.partner_id, 31 * 86400
        )
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        assert (await sweep(pool, wall_clock())).expired == 0, "without test clocks nothing is due"
        assert (await sweep(pool, wall_clock(), test_clocks=True)).expired == 1
    finally:
        await pool.close()
    statuses = [
        (await client.get(f"/v1/vouchers/{code}", headers=p.headers)).json()["status"]
        for code, p in zip(codes, (partner_a, partner_b), strict=True)
    ]
    assert statuses == ["expired", "sold"]


async def test_the_clock_advances_to_an_instant_such_as_the_end_of_a_redemption_window(
    client: Client, partner_a: Credentials
) -> None:
    course = await my_approved_course(client, partner_a)
    sold = await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    assert sold.status_code == 201, sold.text
    voucher = (await client.get(f"/v1/vouchers/{sold.json()['code']}", headers=partner_a.headers)).json()
    window = voucher["redemption_window"]
    assert window == {"opens_at": voucher["sold_at"], "closes_at": voucher["expires_at"]}

    to = datetime.fromisoformat(window["closes_at"]) + timedelta(seconds=1)
    advanced = await client.post("/v1/sandbox/clock/advance", json={"to": iso(to)}, headers=partner_a.headers)
    assert advanced.status_code == 200, advanced.text
    assert datetime.fromisoformat(advanced.json()["now"]) >= to
    assert advanced.json()["expired_vouchers"] == 1

    back = await client.post("/v1/sandbox/clock/advance", json={"to": voucher["sold_at"]}, headers=partner_a.headers)
    assert (back.status_code, back.json()["code"]) == (409, "out_of_time_order")  # the clock is already past it
    assert back.json()["errors"][0]["field"] == "to"
    both = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 60, "to": iso(to)}, headers=partner_a.headers
    )
    assert both.status_code == 422
    assert "exactly one" in both.json()["errors"][0]["message"]


async def test_a_scheduled_voucher_shows_its_one_hour_window(client: Client, partner_a: Credentials) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body(), headers=partner_a.headers)).json()
    schedule = await client.post(
        f"/v1/courses/{course['id']}/schedules", json=schedule_body(), headers=partner_a.headers
    )
    assert schedule.status_code == 201, schedule.text
    await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_a.headers)
    sold = await client.post(
        "/v1/sandbox/vouchers",
        json={"course_id": course["id"], "schedule_id": schedule.json()["id"]},
        headers=partner_a.headers,
    )
    assert sold.status_code == 201, sold.text
    starts_at = datetime.fromisoformat(schedule.json()["starts_at"])
    window = sold.json()["redemption_window"]
    assert datetime.fromisoformat(window["opens_at"]) == starts_at - timedelta(hours=1)
    assert datetime.fromisoformat(window["closes_at"]) == starts_at + timedelta(hours=1)


async def test_reset_keeps_the_seeded_demo_courses_unless_asked(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    demo = await demo_partner_credentials(replace(settings, data_dir=tmp_path))
    headers = {"Authorization": f"Bearer {await token_for(client, demo.client_id, demo.client_secret)}"}
    seeded = {c["id"] for c in (await client.get("/v1/courses", headers=headers)).json()["items"]}
    assert len(seeded) == 4
    mine = (await client.post("/v1/courses", json=course_body(), headers=headers)).json()
    self_paced = next(
        c for c in (await client.get("/v1/courses", headers=headers)).json()["items"] if c["format"] == "self_paced"
    )
    sold = await client.post("/v1/sandbox/vouchers", json={"course_id": self_paced["id"]}, headers=headers)
    assert sold.status_code == 201, sold.text

    report = await client.post("/v1/sandbox/reset", headers=headers)
    assert report.status_code == 200, report.text
    assert report.json() == {"courses": 1, "vouchers": 1, "participants": 2, "kept_courses": 4}
    left = {c["id"] for c in (await client.get("/v1/courses", headers=headers)).json()["items"]}
    assert left == seeded
    assert mine["id"] not in left

    everything = await client.post("/v1/sandbox/reset", json={"seeded_courses": True}, headers=headers)
    assert everything.json()["courses"] == 4
    assert (await client.get("/v1/courses", headers=headers)).json()["items"] == []


@pytest.mark.parametrize(
    "scenario",
    [
        "voucher_expired",
        "voucher_cancelled",
        "voucher_fraudulent",
        "participant_frozen",
        "participant_revoked",
        "course_not_on_sale",
    ],
)
async def test_magic_scenarios_make_the_redemption_refuse_with_that_code(
    client: Client, partner_a: Credentials, scenario: str, db_url: str
) -> None:
    course = await my_approved_course(client, partner_a)
    sold = await client.post(
        "/v1/sandbox/vouchers", json={"course_id": course["id"], "scenario": scenario}, headers=partner_a.headers
    )
    assert sold.status_code == 201, sold.text
    refused = await client.post(
        f"/v1/vouchers/{sold.json()['code']}/redeem",
        json={"learner_ref": "lms-magic"},
        headers={**partner_a.headers, **key()},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == scenario
    await ledger_consistent(db_url)


async def test_the_schedule_full_scenario_refuses_the_sale_and_changes_nothing(
    client: Client, partner_a: Credentials
) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body(), headers=partner_a.headers)).json()
    url = f"/v1/courses/{course['id']}/schedules"
    schedule = (await client.post(url, json=schedule_body(), headers=partner_a.headers)).json()
    await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_a.headers)
    body = {"course_id": course["id"], "schedule_id": schedule["id"], "scenario": "schedule_full"}
    refused = await client.post("/v1/sandbox/vouchers", json=body, headers=partner_a.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "schedule_full"
    seats = (await client.get(f"{url}/{schedule['id']}", headers=partner_a.headers)).json()["seats_left"]
    assert seats == schedule["seats_left"]


async def test_enrollment_times_follow_the_test_clock_and_updated_since_is_inclusive(
    client: Client, partner_a: Credentials
) -> None:
    course = await my_approved_course(client, partner_a)
    code = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()["code"]
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 10 * 24 * 3600}, headers=partner_a.headers)
    redeemed = await client.post(
        f"/v1/vouchers/{code}/redeem", json={"learner_ref": "lms-clock"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201, redeemed.text
    enrollment = redeemed.json()
    shown = (await client.get(f"/v1/enrollments/{enrollment['id']}", headers=partner_a.headers)).json()
    assert shown["updated_at"] == shown["redeemed_at"], "one clock: the test clock"
    assert datetime.fromisoformat(shown["updated_at"]) > datetime.now(UTC) + timedelta(days=9)

    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner_a.headers)
    now = (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["now"]
    attended = await client.put(
        f"/v1/enrollments/{enrollment['id']}/attendance/1", json={"attended_at": now}, headers=partner_a.headers
    )
    assert attended.status_code == 200, attended.text
    updated_at = attended.json()["updated_at"]
    assert datetime.fromisoformat(updated_at) >= datetime.fromisoformat(now)

    def since(moment: str) -> Any:
        return client.get("/v1/enrollments", params={"updated_since": moment}, headers=partner_a.headers)

    assert [e["id"] for e in (await since(updated_at)).json()["items"]] == [enrollment["id"]], "inclusive"
    later = iso(datetime.fromisoformat(updated_at) + timedelta(microseconds=1))
    assert (await since(later)).json()["items"] == []


async def test_a_test_participant_is_where_its_location_says_and_only_for_its_partner(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    created = await client.post("/v1/sandbox/participants", json={"scheme": "2020"}, headers=partner_a.headers)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location == f"/v1/sandbox/participants/{created.json()['id']}"
    assert (await client.get(location, headers=partner_a.headers)).json() == created.json()
    assert (await client.get(location, headers=partner_b.headers)).status_code == 404


async def test_closing_my_statement_follows_my_test_clock(
    client: Client, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    course = await my_approved_course(client, partner_a)
    sold = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()
    redeemed = await client.post(
        f"/v1/vouchers/{sold['code']}/redeem", json={"learner_ref": "x"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201, redeemed.text
    [statement] = (await client.get("/v1/statements", headers=partner_a.headers)).json()["items"]
    url = f"/v1/sandbox/statements/{statement['period']}/close"
    early = await client.post(url, headers=partner_a.headers)
    assert (early.status_code, early.json()["code"]) == (409, "invalid_state_transition")
    assert (await client.post(url, headers=partner_b.headers)).status_code == 409  # B's clock: not ended either
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 32 * 24 * 3600}, headers=partner_a.headers)
    closed = await client.post(url, headers=partner_a.headers)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["net"], closed.json()["line_count"]) == ("closed", 1_500_000, 1)
    again = await client.post(url, headers=partner_a.headers)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state_transition")
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 32 * 24 * 3600}, headers=partner_b.headers)
    assert (await client.post(url, headers=partner_b.headers)).status_code == 404  # B has no statement
    assert (await client.post("/v1/sandbox/reset", headers=partner_a.headers)).status_code == 200
    assert (await client.get("/v1/statements", headers=partner_a.headers)).json()["items"] == []
    await ledger_consistent(db_url)


async def test_reset_works_for_a_partner_with_webhooks_and_keeps_its_endpoints(
    client: Client, partner_a: Credentials, db_url: str
) -> None:
    endpoint = await client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}, headers=partner_a.headers
    )
    assert endpoint.status_code == 201, endpoint.text
    await my_approved_course(client, partner_a)  # course.approved: an event, and a delivery queued for it
    queued = await fetch(
        db_url, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1", endpoint.json()["id"]
    )
    assert queued[0]["n"] >= 1

    reset = await client.post("/v1/sandbox/reset", headers=partner_a.headers)
    assert reset.status_code == 200, reset.text
    kept = await client.get(f"/v1/webhook-endpoints/{endpoint.json()['id']}", headers=partner_a.headers)
    assert kept.status_code == 200
    left = await fetch(
        db_url, "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1", endpoint.json()["id"]
    )
    assert left[0]["n"] == 0


async def test_course_times_follow_the_test_clock_and_updated_since_finds_them(
    client: Client, partner_a: Credentials
) -> None:
    """Created, edited and curated after the clock moved 10 days on: every time on the course is a test-clock
    time, so `updated_since` with a test-clock time finds the course (inclusive) and a later one does not."""
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 10 * 24 * 3600}, headers=partner_a.headers)
    created = await client.post("/v1/courses", json=course_body(), headers=partner_a.headers)
    assert created.status_code == 201, created.text
    course = created.json()
    assert course["created_at"] == course["updated_at"]
    assert datetime.fromisoformat(course["created_at"]) > datetime.now(UTC) + timedelta(days=9)

    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner_a.headers)
    now = (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["now"]
    edited = await client.patch(
        f"/v1/courses/{course['id']}",
        json={"title": "Pemasaran Digital Lanjutan"},
        headers={**partner_a.headers, "If-Match": created.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    updated_at = edited.json()["updated_at"]
    assert datetime.fromisoformat(updated_at) >= datetime.fromisoformat(now)
    assert edited.json()["created_at"] == course["created_at"]

    def since(moment: str) -> Any:
        return client.get("/v1/courses", params={"updated_since": moment}, headers=partner_a.headers)

    assert [c["id"] for c in (await since(updated_at)).json()["items"]] == [course["id"]], "inclusive"
    later = iso(datetime.fromisoformat(updated_at) + timedelta(microseconds=1))
    assert (await since(later)).json()["items"] == []

    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner_a.headers)
    approved = await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_a.headers)
    assert approved.status_code == 200, approved.text
    history = approved.json()["curation_history"]
    assert [step["action"] for step in history] == ["submit", "approve"]
    assert all(datetime.fromisoformat(step["at"]) > datetime.fromisoformat(updated_at) for step in history)
    assert approved.json()["updated_at"] == history[-1]["at"]
    assert [c["id"] for c in (await since(approved.json()["updated_at"])).json()["items"]] == [course["id"]]


async def test_webhook_endpoint_and_statement_line_times_follow_the_test_clock(
    client: Client, partner_a: Credentials
) -> None:
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 10 * 24 * 3600}, headers=partner_a.headers)
    ahead = datetime.now(UTC) + timedelta(days=9)
    created = await client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}, headers=partner_a.headers
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["created_at"] == endpoint["updated_at"]
    assert datetime.fromisoformat(endpoint["created_at"]) > ahead
    rotated = await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=partner_a.headers)
    assert rotated.status_code == 200, rotated.text
    assert datetime.fromisoformat(rotated.json()["updated_at"]) >= datetime.fromisoformat(endpoint["updated_at"])

    course = await my_approved_course(client, partner_a)
    code = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()["code"]
    redeemed = await client.post(
        f"/v1/vouchers/{code}/redeem", json={"learner_ref": "lms-lines"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201, redeemed.text
    [statement] = (await client.get("/v1/statements", headers=partner_a.headers)).json()["items"]
    lines = await client.get(f"/v1/statements/{statement['period']}/lines", headers=partner_a.headers)
    assert [line["created_at"] for line in lines.json()["items"]] == [redeemed.json()["redeemed_at"]]


async def test_self_approve_reinstates_the_course_the_course_not_on_sale_scenario_suspended(
    client: Client, partner_a: Credentials
) -> None:
    course = await my_approved_course(client, partner_a)
    body = {"course_id": course["id"], "scenario": "course_not_on_sale"}
    sold = (await client.post("/v1/sandbox/vouchers", json=body, headers=partner_a.headers)).json()
    suspended = (await client.get(f"/v1/courses/{course['id']}", headers=partner_a.headers)).json()
    assert suspended["status"] == "suspended"
    again = await client.post(f"/v1/sandbox/courses/{course['id']}/approve", headers=partner_a.headers)
    assert (again.status_code, again.json()["status"]) == (200, "approved")
    redeemed = await client.post(
        f"/v1/vouchers/{sold['code']}/redeem", json={"learner_ref": "lms-back"}, headers={**partner_a.headers, **key()}
    )
    assert redeemed.status_code == 201, redeemed.text


async def test_the_balance_deadline_on_the_test_clock_lapses_and_completes_a_test_participant(
    client: Client, partner_a: Credentials
) -> None:
    """A certified training with balance left: advancing the test clock past the scheme's balance deadline lapses
    the balance and completes the participant at once; the partner of the training gets `participant.completed`."""
    course = await my_approved_course(client, partner_a)
    sold = (
        await client.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=partner_a.headers)
    ).json()
    participant_url = f"/v1/sandbox/participants/{sold['participant_id']}"
    enrollment = (
        await client.post(
            f"/v1/vouchers/{sold['code']}/redeem",
            json={"learner_ref": "lms-lapse"},
            headers={**partner_a.headers, **key()},
        )
    ).json()
    url = f"/v1/enrollments/{enrollment['id']}"
    now = (await client.get("/v1/sandbox/clock", headers=partner_a.headers)).json()["now"]
    for sequence in range(1, 6):
        await client.put(f"{url}/attendance/{sequence}", json={"attended_at": now}, headers=partner_a.headers)
    await client.put(f"{url}/assessment", json={"score": 80, "assessed_at": now}, headers=partner_a.headers)
    later = (
        await client.post("/v1/sandbox/clock/advance", json={"seconds": 5 * 24 * 3600}, headers=partner_a.headers)
    ).json()["now"]
    done = await client.post(f"{url}/completion", json={"completed_at": later}, headers={**partner_a.headers, **key()})
    assert done.status_code == 200, done.text
    issued = await client.post(
        f"{url}/certificate", json={"number": "SBX-CERT-1", "issued_at": later}, headers={**partner_a.headers, **key()}
    )
    assert issued.status_code == 201, issued.text
    person = (await client.get(participant_url, headers=partner_a.headers)).json()
    assert (person["status"], person["balance"]) == ("active", 2_000_000)

    accepted = datetime.fromisoformat(later) - timedelta(days=5)
    deadline = datetime.combine(SCHEME_2024.balance_deadline(accepted), datetime.min.time(), tzinfo=UTC) + timedelta(
        days=1, minutes=1
    )
    moved = await client.post("/v1/sandbox/clock/advance", json={"to": iso(deadline)}, headers=partner_a.headers)
    assert moved.status_code == 200, moved.text
    person = (await client.get(participant_url, headers=partner_a.headers)).json()
    assert (person["status"], person["balance"]) == ("completed", 0)
    feed = await client.get("/v1/events", params={"type": "participant.completed"}, headers=partner_a.headers)
    [event] = feed.json()["items"]
    assert event["data"]["enrollment_id"] == enrollment["id"]
    assert datetime.fromisoformat(event["created_at"]) >= deadline
