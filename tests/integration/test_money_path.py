"""The money path over HTTP: enrolment, purchases, partner voucher checks, redemption, void, cancel, fraud."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.courses import approved
from tests.database import fetch
from tests.factories import iso, participant_body, schedule_body, scheduled_course_body
from tests.money import PARTICIPANTS, buy, enrol, key, ledger_consistent, redeem, sold_voucher

Client = AsyncTestClient[Any]


@pytest.fixture
async def course(client: Client, partner_a: Credentials, programme: Credentials) -> dict[str, Any]:
    """An approved self-paced course of partner A at Rp 1,500,000."""
    return await approved(client, partner_a, programme)


# --- participants ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "balance"), [("2024", 3_500_000), ("2020", 1_000_000)])
async def test_enrolment_grants_the_scheme_balance(
    client: Client, programme: Credentials, db_url: str, scheme: str, balance: int
) -> None:
    person = await enrol(client, programme, scheme=scheme)
    assert person["balance"] == balance
    assert person["status"] == "active"
    assert "nik" not in person
    assert person["ledger"] == [
        {
            "kind": "grant",
            "amount": balance,
            "balance_after": balance,
            "voucher_code": None,
            "at": person["ledger"][0]["at"],
        }
    ]
    shown = (await client.get(f"{PARTICIPANTS}/{person['id']}", headers=programme.headers)).json()
    assert shown["balance"] == balance
    await ledger_consistent(db_url)


async def test_duplicate_programme_number_or_nik_is_refused(client: Client, programme: Credentials) -> None:
    person = await enrol(client, programme, nik="3201010101010001")
    again = await client.post(
        PARTICIPANTS,
        json={**_body(person), "nik": "3201010101010002"},
        headers=programme.headers,
    )
    assert (again.status_code, again.json()["code"]) == (409, "participant_already_enrolled")
    assert again.json()["errors"][0]["field"] == "programme_number"
    same_nik = await client.post(
        PARTICIPANTS,
        json={**_body(person), "programme_number": "PRK-OTHER-1", "nik": "3201010101010001"},
        headers=programme.headers,
    )
    assert (same_nik.status_code, same_nik.json()["code"]) == (409, "participant_already_enrolled")
    assert same_nik.json()["errors"][0]["field"] == "nik"


def _body(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "programme_number": person["programme_number"],
        "nik": "3201010101019999",
        "name": person["name"],
        "email": person["email"],
        "phone": person["phone"],
        "scheme": person["scheme"],
        "accepted_at": person["accepted_at"],
    }


async def test_nik_is_stored_only_as_a_hash(client: Client, programme: Credentials, db_url: str) -> None:
    await enrol(client, programme, nik="3271234567890123")
    rows = await fetch(db_url, "SELECT row_to_json(p)::text AS doc FROM participants p")
    assert all("3271234567890123" not in r["doc"] for r in rows)
    audit = await fetch(db_url, "SELECT coalesce(string_agg(a::text, ''), '') AS doc FROM audit_log a")
    assert "3271234567890123" not in audit[0]["doc"]


# --- purchases -------------------------------------------------------------------------------------------------


async def test_purchase_creates_a_voucher_and_debits_in_one_go(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    person = await enrol(client, programme)
    response = await buy(client, programme, person["id"], course["id"])
    assert response.status_code == 201, response.text
    voucher = response.json()
    assert voucher["code"].startswith("SBX-")
    assert voucher["status"] == "sold"
    assert voucher["amount"] == 1_500_000
    assert voucher["participant_id"] == person["id"]
    after = (await client.get(f"{PARTICIPANTS}/{person['id']}", headers=programme.headers)).json()
    assert after["balance"] == 2_000_000
    assert after["ledger"][0]["kind"] == "purchase"
    assert after["ledger"][0]["voucher_code"] == voucher["code"]
    events = await fetch(db_url, "SELECT type, partner_id FROM events WHERE entity_id = $1", voucher["code"])
    assert [(e["type"], e["partner_id"]) for e in events] == [("voucher.sold", partner_a.partner_id)]
    await ledger_consistent(db_url)


async def test_purchase_needs_an_idempotency_key(
    client: Client, programme: Credentials, course: dict[str, Any]
) -> None:
    person = await enrol(client, programme)
    response = await client.post(
        f"{PARTICIPANTS}/{person['id']}/purchases", json={"course_id": course["id"]}, headers=programme.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


async def test_purchase_retry_with_the_same_key_sells_once(
    client: Client, programme: Credentials, course: dict[str, Any]
) -> None:
    person = await enrol(client, programme)
    headers = {**programme.headers, "Idempotency-Key": "purchase-1"}
    url = f"{PARTICIPANTS}/{person['id']}/purchases"
    first = await client.post(url, json={"course_id": course["id"]}, headers=headers)
    second = await client.post(url, json={"course_id": course["id"]}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    after = (await client.get(f"{PARTICIPANTS}/{person['id']}", headers=programme.headers)).json()
    assert after["balance"] == 2_000_000
    reused = await client.post(url, json={"course_id": "crs_other"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"


async def test_purchase_refusals(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    poor = await enrol(client, programme, scheme="2020")
    dear = await approved(client, partner_a, programme, price=1_200_000, public_price=1_500_000, title="Dear")
    assert (await buy(client, programme, poor["id"], dear["id"])).json()["code"] == "insufficient_balance"

    person = await enrol(client, programme)
    assert (await buy(client, programme, person["id"], course["id"])).status_code == 201
    other = await approved(client, partner_a, programme, title="Other course")
    assert (await buy(client, programme, person["id"], other["id"])).json()["code"] == "active_training_exists"

    draft = (await client.post("/v1/courses", json={**_course_draft()}, headers=partner_a.headers)).json()
    fresh = await enrol(client, programme)
    assert (await buy(client, programme, fresh["id"], draft["id"])).json()["code"] == "course_not_on_sale"
    assert (await buy(client, programme, fresh["id"], "crs_nope")).status_code == 404

    late = await enrol(client, programme, accepted_at=iso(datetime.now(UTC) - timedelta(days=16)))
    assert (await buy(client, programme, late["id"], course["id"])).json()["code"] == "participant_revoked"
    late_2020 = await enrol(client, programme, scheme="2020", accepted_at=iso(datetime.now(UTC) - timedelta(days=16)))
    cheap = await approved(client, partner_a, programme, price=500_000, title="Cheap")
    assert (await buy(client, programme, late_2020["id"], cheap["id"])).status_code == 201  # 30 days in 2020

    frozen = await enrol(client, programme)
    await client.post(f"{PARTICIPANTS}/{frozen['id']}/freeze", json={"reason": "check"}, headers=programme.headers)
    assert (await buy(client, programme, frozen["id"], course["id"])).json()["code"] == "participant_frozen"
    await ledger_consistent(db_url)


def _course_draft() -> dict[str, Any]:
    from tests.factories import course_body

    return course_body(title="Never submitted")


async def test_same_course_cannot_be_bought_twice(
    client: Client, programme: Credentials, course: dict[str, Any]
) -> None:
    person = await enrol(client, programme)
    voucher = (await buy(client, programme, person["id"], course["id"])).json()
    flagged = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/flag-fraud", json={"reason": "test"}, headers=programme.headers
    )
    assert flagged.status_code == 200
    again = await buy(client, programme, person["id"], course["id"])
    assert again.json()["code"] == "course_already_purchased"


async def test_schedule_full(client: Client, programme: Credentials, partner_a: Credentials) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)).json()
    schedule = (
        await client.post(
            f"/v1/courses/{course['id']}/schedules", json=schedule_body(capacity=1), headers=partner_a.headers
        )
    ).json()
    await client.post(f"/v1/courses/{course['id']}/submit", headers=partner_a.headers)
    await client.post(f"/v1/programme/courses/{course['id']}/approve", headers=programme.headers)
    first, second = await enrol(client, programme), await enrol(client, programme)
    assert (await buy(client, programme, first["id"], course["id"], schedule["id"])).status_code == 201
    assert (await buy(client, programme, second["id"], course["id"], schedule["id"])).json()["code"] == "schedule_full"
    missing = await buy(client, programme, second["id"], course["id"])
    assert missing.status_code == 422


# --- partner: check, redeem, void ------------------------------------------------------------------------------


async def test_partner_checks_its_voucher_and_others_get_404(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, course: dict[str, Any]
) -> None:
    voucher = await sold_voucher(client, programme, course["id"], name="Budi Santoso")
    seen = await client.get(f"/v1/vouchers/{voucher['code']}", headers=partner_a.headers)
    assert seen.status_code == 200
    body = seen.json()
    assert body["participant"] == {"name_masked": "Budi S."}
    assert body["allowed_actions"] == ["redeem", "void"]
    assert "participant_id" not in body
    typed = voucher["code"].lower().replace("-", "")
    assert (await client.get(f"/v1/vouchers/{typed}", headers=partner_a.headers)).json()["code"] == voucher["code"]
    for path in ("", "/redeem", "/void"):
        method = client.get if path == "" else client.post
        kwargs: dict[str, Any] = {"headers": {**partner_b.headers, **key()}}
        if path == "/redeem":
            kwargs["json"] = {"learner_ref": "b-learner"}
        response = await method(f"/v1/vouchers/{voucher['code']}{path}", **kwargs)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


async def test_a_mistyped_code_is_404(client: Client, partner_a: Credentials) -> None:
    for code in ("SBX-AAAA-AAAA-AAAB", "not-a-code", "SBX-" + "Z" * 12, "A" * 300):
        response = await client.get(f"/v1/vouchers/{code}", headers=partner_a.headers)
        assert response.status_code == 404, code
        redeemed = await client.post(
            f"/v1/vouchers/{code}/redeem", json={"learner_ref": "lms-1"}, headers={**partner_a.headers, **key()}
        )
        assert (redeemed.status_code, redeemed.json()["code"]) == (404, "not_found"), code


async def test_redeem_creates_the_enrollment_and_the_partner_is_owed(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    headers = {**partner_a.headers, "Idempotency-Key": "redeem-1"}
    url = f"/v1/vouchers/{voucher['code']}/redeem"
    first = await client.post(url, json={"learner_ref": "lms-user-42"}, headers=headers)
    assert first.status_code == 201, first.text
    enrollment = first.json()
    assert enrollment["status"] == "active"
    assert enrollment["voucher_code"] == voucher["code"]
    assert enrollment["learner_ref"] == "lms-user-42"
    replay = await client.post(url, json={"learner_ref": "lms-user-42"}, headers=headers)
    assert (replay.status_code, replay.content) == (201, first.content)
    again = await client.post(url, json={"learner_ref": "lms-user-42"}, headers={**partner_a.headers, **key()})
    assert again.status_code == 409
    assert again.json()["code"] == "voucher_already_redeemed"
    lines = await fetch(db_url, "SELECT partner_id, amount, kind FROM statement_lines")
    assert [(r["partner_id"], r["amount"], r["kind"]) for r in lines] == [(partner_a.partner_id, 1_500_000, "payable")]
    shown = (await client.get(f"/v1/vouchers/{voucher['code']}", headers=partner_a.headers)).json()
    assert shown["status"] == "redeemed"
    assert shown["allowed_actions"] == []
    # One statement wrote the status, the statement line, the audit row and the event (api/db/sql.py together()).
    audit_rows = await fetch(
        db_url,
        "SELECT actor_type, actor_id, partner_id, before, after, request_id FROM audit_log "
        "WHERE action = 'voucher.redeemed' AND entity_id = $1",
        voucher["code"],
    )
    assert [(r["actor_type"], r["actor_id"], r["partner_id"]) for r in audit_rows] == [
        ("partner_client", partner_a.client_id, partner_a.partner_id)
    ]
    assert json.loads(audit_rows[0]["before"]) == {"status": "sold"}
    assert json.loads(audit_rows[0]["after"])["status"] == "redeemed"
    assert audit_rows[0]["request_id"] == first.headers["x-request-id"]
    event_rows = await fetch(
        db_url,
        "SELECT partner_id, data FROM events WHERE type = 'voucher.redeemed' AND entity_id = $1",
        voucher["code"],
    )
    assert [r["partner_id"] for r in event_rows] == [partner_a.partner_id]
    assert json.loads(event_rows[0]["data"]) == json.loads(audit_rows[0]["after"])
    stored = await fetch(db_url, "SELECT status, redeemed_at FROM vouchers WHERE code = $1", voucher["code"])
    assert stored[0]["status"] == "redeemed"
    assert stored[0]["redeemed_at"] is not None
    # The enrollment redemption answers (built from the insert itself) is the one GET shows.
    read = await client.get(f"/v1/enrollments/{enrollment['id']}", headers=partner_a.headers)
    assert read.json() == enrollment


async def test_one_learner_account_cannot_redeem_a_course_twice(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    """The refusal comes from the one statement that writes a redemption: none of its writes stay, and a retry
    with the same key gets the same refusal."""
    first = await sold_voucher(client, programme, course["id"])
    second = await sold_voucher(client, programme, course["id"])
    assert (await redeem(client, partner_a, first["code"], "shared-account")).status_code == 201
    headers = {**partner_a.headers, **key()}
    path, body = f"/v1/vouchers/{second['code']}/redeem", {"learner_ref": "shared-account"}
    refused = await client.post(path, json=body, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "learner_already_enrolled"
    shown = (await client.get(f"/v1/vouchers/{second['code']}", headers=partner_a.headers)).json()
    assert shown["status"] == "sold"
    for table in ("statement_lines", "enrollments"):
        assert await fetch(db_url, f"SELECT 1 FROM {table} WHERE voucher_code = $1", second["code"]) == []
    written = "SELECT 1 FROM {} WHERE entity_id = $1 AND {} = 'voucher.redeemed'"
    assert await fetch(db_url, written.format("audit_log", "action"), second["code"]) == []
    assert await fetch(db_url, written.format("events", "type"), second["code"]) == []
    again = await client.post(path, json=body, headers=headers)
    assert (again.status_code, again.content) == (409, refused.content)
    assert again.headers["idempotent-replayed"] == "true"


async def test_frozen_participant_cannot_redeem(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any]
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    await client.post(
        f"{PARTICIPANTS}/{voucher['participant_id']}/freeze", json={"reason": "fraud check"}, headers=programme.headers
    )
    response = await redeem(client, partner_a, voucher["code"])
    assert response.json()["code"] == "participant_frozen"


async def test_suspended_course_cannot_be_redeemed(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any]
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    await client.post(f"/v1/programme/courses/{course['id']}/suspend", headers=programme.headers)
    assert (await redeem(client, partner_a, voucher["code"])).json()["code"] == "course_not_on_sale"


async def test_scheduled_voucher_redeems_only_around_the_start(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    course = (await client.post("/v1/courses", json=scheduled_course_body("webinar"), headers=partner_a.headers)).json()
    soon = datetime.now(UTC) + timedelta(minutes=30)
    later = datetime.now(UTC) + timedelta(days=3)
    schedules = []
    for start in (soon, later):
        response = await client.post(
            f"/v1/courses/{course['id']}/schedules", json=schedule_body(start), headers=partner_a.headers
        )
        assert response.status_code == 201, response.text
        schedules.append(response.json()["id"])
    await client.post(f"/v1/courses/{course['id']}/submit", headers=partner_a.headers)
    await client.post(f"/v1/programme/courses/{course['id']}/approve", headers=programme.headers)
    codes = []
    for schedule_id in schedules:
        person = await enrol(client, programme)
        bought = await buy(client, programme, person["id"], course["id"], schedule_id)
        assert bought.status_code == 201, bought.text
        codes.append(bought.json()["code"])
    assert (await redeem(client, partner_a, codes[0], "in-window")).status_code == 201
    closed = await redeem(client, partner_a, codes[1], "too-early")
    assert closed.status_code == 409
    assert closed.json()["code"] == "redemption_window_closed"


async def test_void_refunds_and_only_before_redemption(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    voided = await client.post(f"/v1/vouchers/{voucher['code']}/void", headers={**partner_a.headers, **key()})
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "cancelled"
    person = (await client.get(f"{PARTICIPANTS}/{voucher['participant_id']}", headers=programme.headers)).json()
    assert person["balance"] == 3_500_000
    assert [line["kind"] for line in person["ledger"]] == ["refund", "purchase", "grant"]
    redeemed = await sold_voucher(client, programme, course["id"])
    await redeem(client, partner_a, redeemed["code"], "someone")
    refused = await client.post(f"/v1/vouchers/{redeemed['code']}/void", headers={**partner_a.headers, **key()})
    assert refused.status_code == 409
    assert refused.json()["code"] == "voucher_void_not_allowed"
    cancelled = await redeem(client, partner_a, voucher["code"], "late")
    assert cancelled.json()["code"] == "voucher_cancelled"
    await ledger_consistent(db_url)


async def test_programme_cancel_after_redemption_refunds_and_claws_back(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    enrollment = (await redeem(client, partner_a, voucher["code"])).json()
    cancelled = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/cancel",
        json={"reason": "schedule cancelled"},
        headers={**programme.headers, **key()},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    person = (await client.get(f"{PARTICIPANTS}/{voucher['participant_id']}", headers=programme.headers)).json()
    assert person["balance"] == 3_500_000
    rows = await fetch(
        db_url, "SELECT kind, amount FROM statement_lines WHERE voucher_code = $1 ORDER BY id", voucher["code"]
    )
    assert [(r["kind"], r["amount"]) for r in rows] == [("payable", 1_500_000), ("clawback", -1_500_000)]
    rows = await fetch(db_url, "SELECT status FROM enrollments WHERE id = $1", enrollment["id"])
    assert [r["status"] for r in rows] == ["cancelled"]
    await ledger_consistent(db_url)


async def test_fraud_refunds_nothing_and_claws_back(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    await redeem(client, partner_a, voucher["code"])
    flagged = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/flag-fraud",
        json={"reason": "ghost learner"},
        headers=programme.headers,
    )
    assert flagged.json()["status"] == "fraudulent"
    person = (await client.get(f"{PARTICIPANTS}/{voucher['participant_id']}", headers=programme.headers)).json()
    assert person["balance"] == 2_000_000
    rows = await fetch(
        db_url, "SELECT kind, amount FROM statement_lines WHERE voucher_code = $1 ORDER BY id", voucher["code"]
    )
    assert [(r["kind"], r["amount"]) for r in rows] == [("payable", 1_500_000), ("clawback", -1_500_000)]
    audit = await fetch(db_url, "SELECT after FROM audit_log WHERE action = 'voucher.fraud_flagged'")
    assert json.loads(audit[0]["after"])["reason"] == "ghost learner"


async def test_a_fraudulent_voucher_is_refused_with_its_own_code(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any]
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    flagged = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/flag-fraud", json={"reason": "stolen"}, headers=programme.headers
    )
    assert flagged.status_code == 200, flagged.text
    refused = await redeem(client, partner_a, voucher["code"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "voucher_fraudulent"


# --- exactly once under concurrency ----------------------------------------------------------------------------


async def test_fifty_concurrent_redeems_make_one_redemption(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str, live_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as live:
        responses = await asyncio.gather(
            *(redeem(live, partner_a, voucher["code"], f"learner-{n}") for n in range(50))  # type: ignore[arg-type]
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"voucher_already_redeemed"}
    assert len(await fetch(db_url, "SELECT 1 FROM enrollments WHERE voucher_code = $1", voucher["code"])) == 1
    assert len(await fetch(db_url, "SELECT 1 FROM statement_lines WHERE voucher_code = $1", voucher["code"])) == 1


async def test_fifty_concurrent_redeems_with_one_key_have_one_effect(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str, live_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    headers = {**partner_a.headers, "Idempotency-Key": f"same-{secrets.token_hex(4)}"}
    url = f"/v1/vouchers/{voucher['code']}/redeem"
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as live:
        responses = await asyncio.gather(
            *(live.post(url, json={"learner_ref": "one"}, headers=headers) for _ in range(50))
        )
    successes = [r for r in responses if r.status_code == 201]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(successes) + len(in_progress) == 50
    assert successes, "at least the first one succeeds"
    assert len({r.content for r in successes}) == 1, "replays are byte-for-byte the original"
    assert {r.json()["code"] for r in in_progress} <= {"idempotency_request_in_progress"}
    assert len(await fetch(db_url, "SELECT 1 FROM enrollments WHERE voucher_code = $1", voucher["code"])) == 1


async def test_concurrent_debits_never_overdraw(client: Client, programme: Credentials, db_url: str) -> None:
    """The balance row's CHECK holds even against callers that skip the domain check (separate connections)."""
    from api.services import ledger
    from domain.ledger import LedgerEntry, LedgerEntryKind

    person = await enrol(client, programme, scheme="2020")

    async def debit() -> bool:
        conn = await asyncpg.connect(db_url)
        try:
            async with conn.transaction():
                await ledger.post(conn, person["id"], LedgerEntry(LedgerEntryKind.PURCHASE, 400_000))  # type: ignore[arg-type]
                await asyncio.sleep(0.05)
            return True
        except Exception:
            return False
        finally:
            await conn.close()

    results = await asyncio.gather(*(debit() for _ in range(5)))
    assert sum(results) == 2  # two debits of 400,000 fit in 1,000,000; a third does not
    await ledger_consistent(db_url)
    rows = await fetch(db_url, "SELECT balance FROM balances WHERE participant_id = $1", person["id"])
    assert rows[0]["balance"] == 200_000


async def test_flagging_a_refunded_voucher_as_fraud_after_a_repurchase(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    """Regression: the 'course bought once' index counted the refunded, now fraudulent voucher and the
    flag failed with a 500 because the participant had bought the course again after the refund."""
    person = await enrol(client, programme)
    first = (await buy(client, programme, person["id"], course["id"])).json()
    await client.post(f"/v1/vouchers/{first['code']}/void", headers={**partner_a.headers, **key()})
    second = await buy(client, programme, person["id"], course["id"])
    assert second.status_code == 201, second.text
    flagged = await client.post(
        f"/v1/programme/vouchers/{first['code']}/flag-fraud", json={"reason": "ring"}, headers=programme.headers
    )
    assert flagged.status_code == 200, flagged.text
    assert flagged.json()["status"] == "fraudulent"
    shown = (await client.get(f"/v1/vouchers/{second.json()['code']}", headers=partner_a.headers)).json()
    assert shown["status"] == "sold"
    await ledger_consistent(db_url)


async def test_a_new_cohort_is_a_row_not_a_deploy(client: Client, programme: Credentials, db_url: str) -> None:
    """The enrolment schema reads schemes from the data: an unknown code is a 404 naming `scheme`, and a scheme row
    added to the database is accepted at once with its own balance."""
    unknown = await client.post(PARTICIPANTS, json=participant_body(scheme="2031"), headers=programme.headers)
    assert unknown.status_code == 404, unknown.text
    assert [e["field"] for e in unknown.json()["errors"]] == ["scheme"]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "INSERT INTO schemes VALUES ('2031', false, 4200000, 700000, 1, 50000, 2, 15, 12, 15, 30, 15, 3, 8, 150, "
            "60, 60)"
        )
    finally:
        await conn.close()
    person = await enrol(client, programme, scheme="2031")
    assert (person["scheme"], person["balance"]) == ("2031", 4_200_000)


async def test_the_programme_revokes_a_participant_for_fraud(
    client: Client, programme: Credentials, partner_a: Credentials, course: dict[str, Any], db_url: str
) -> None:
    voucher = await sold_voucher(client, programme, course["id"])
    person_id = voucher["participant_id"]
    url = f"{PARTICIPANTS}/{person_id}/revoke"
    held = await client.post(url, json={"reason": "identity fraud"}, headers=programme.headers)
    assert (held.status_code, held.json()["code"]) == (409, "active_training_exists")  # an open voucher first
    cancelled = await client.post(
        f"/v1/programme/vouchers/{voucher['code']}/cancel",
        json={"reason": "fraud"},
        headers={**programme.headers, **key()},
    )
    assert cancelled.is_success, cancelled.text
    frozen = await client.post(
        f"{PARTICIPANTS}/{person_id}/freeze", json={"reason": "check"}, headers=programme.headers
    )
    assert frozen.is_success, frozen.text
    revoked = await client.post(url, json={"reason": "identity fraud"}, headers=programme.headers)
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert (body["status"], body["balance"]) == ("revoked", 0)
    assert body["ledger"][0]["kind"] == "lapse"
    again = await client.post(url, json={"reason": "identity fraud"}, headers=programme.headers)
    assert again.status_code == 409
    refused = await buy(client, programme, person_id, course["id"])
    assert refused.json()["code"] == "participant_revoked"
    actions = [
        r["action"]
        for r in await fetch(db_url, "SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", person_id)
    ]
    assert actions[-2:] == ["participant.revoked", "participant.balance_lapsed"]
    await ledger_consistent(db_url)
