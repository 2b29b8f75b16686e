"""Incentive disbursement over HTTP: payout accounts, batches per channel, CSV, results, retries, never twice."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.auth import Credentials
from tests.factories import iso
from tests.money import PARTICIPANTS, Client, completed_enrollment, key

BATCHES = "/v1/programme/disbursements"


async def eligible_participant(
    client: Client, programme: Credentials, partner: Credentials, db_url: str, account: str | None = "081234567890"
) -> str:
    """A participant with a completed, certified training and a review (so eligible), paid through OVO."""
    enrollment_id = await completed_enrollment(client, programme, partner, db_url)
    certificate = await client.post(
        f"/v1/enrollments/{enrollment_id}/certificate",
        json={"number": f"CERT-{secrets.token_hex(4)}", "issued_at": iso(datetime.now(UTC) - timedelta(minutes=5))},
        headers={**partner.headers, **key()},
    )
    assert certificate.status_code == 201, certificate.text
    conn = await asyncpg.connect(db_url)
    try:
        participant_id: str = await conn.fetchval("SELECT participant_id FROM enrollments WHERE id = $1", enrollment_id)
    finally:
        await conn.close()
    review = await client.post(f"{PARTICIPANTS}/{participant_id}/review", headers=programme.headers)
    assert review.status_code == 200, review.text
    if account is not None:
        answer = await client.put(
            f"{PARTICIPANTS}/{participant_id}/payout-account",
            json={"channel": "ovo", "account_reference": account},
            headers=programme.headers,
        )
        assert answer.status_code == 200, answer.text
    return participant_id


async def fetch(db_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def transfers(client: Client, programme: Credentials, batch_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"{BATCHES}/{batch_id}/transfers", headers=programme.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_payout_account_is_masked_checked_and_audited(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    participant_id = await eligible_participant(client, programme, partner_a, db_url, account=None)
    url = f"{PARTICIPANTS}/{participant_id}/payout-account"
    assert (await client.get(url, headers=programme.headers)).status_code == 404
    bad = await client.put(url, json={"channel": "bni", "account_reference": "0812x"}, headers=programme.headers)
    assert bad.status_code == 422, bad.text
    unknown = await client.put(
        url, json={"channel": "nope", "account_reference": "1234567890"}, headers=programme.headers
    )
    assert unknown.status_code == 404  # channels are data: an unknown one is not found, as an unknown course is
    good = await client.put(url, json={"channel": "bni", "account_reference": "0123456789"}, headers=programme.headers)
    assert good.status_code == 200, good.text
    assert good.json()["account_reference_masked"] == "****6789"
    assert good.json()["channel_kind"] == "bank"
    assert "0123456789" not in good.text
    shown = (await client.get(url, headers=programme.headers)).json()
    assert shown["channel"] == "bni"
    missing = await client.put(
        f"{PARTICIPANTS}/prt_nobody/payout-account",
        json={"channel": "bni", "account_reference": "0123456789"},
        headers=programme.headers,
    )
    assert missing.status_code == 404
    audit_rows = await fetch(
        db_url, "SELECT after::text AS after FROM audit_log WHERE action = 'participant.payout_account_set'"
    )
    assert len(audit_rows) == 1
    assert "0123456789" not in audit_rows[0]["after"]


async def test_a_batch_pays_each_transfer_once_and_retries_failures(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    paid_one = await eligible_participant(client, programme, partner_a, db_url)
    failing = await eligible_participant(client, programme, partner_b, db_url, account="6281234567890")
    created = await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)
    assert created.status_code == 201, created.text
    batch = created.json()
    assert created.headers["location"] == f"{BATCHES}/{batch['id']}"
    assert (batch["transfer_count"], batch["total_amount"], batch["status"]) == (2, 1_200_000, "open")
    items = {t["participant_id"]: t for t in await transfers(client, programme, batch["id"])}
    assert set(items) == {paid_one, failing}
    assert items[failing]["account_reference_masked"] == "****7890"
    assert items[paid_one]["sequence"] == 1
    assert items[paid_one]["amount"] == 600_000

    # Nothing more is payable through OVO while both are in the open batch; nothing at all through BNI.
    again = await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state_transition"
    assert (await client.post(BATCHES, json={"channel": "bni"}, headers=programme.headers)).status_code == 409

    # The file for the channel carries the whole account reference.
    csv_answer = await client.get(
        f"{BATCHES}/{batch['id']}/transfers", headers={**programme.headers, "Accept": "text/csv"}
    )
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert {r["account_reference"] for r in rows} == {"081234567890", "6281234567890"}
    assert {r["amount"] for r in rows} == {"600000"}
    dotted = await client.get(f"{BATCHES}/{batch['id']}/transfers.csv", headers=programme.headers)
    assert dotted.text == csv_answer.text

    results = f"{BATCHES}/{batch['id']}/results"
    body = {
        "results": [
            {"transfer_id": items[paid_one]["transfer_id"], "status": "paid", "reference": "OVO-77", "reason": None},
            {"transfer_id": items[failing]["transfer_id"], "status": "failed", "reason": "account closed"},
        ]
    }
    recorded = await client.post(results, json=body, headers=programme.headers)
    assert recorded.status_code == 200, recorded.text
    done = recorded.json()
    assert (done["status"], done["paid_count"], done["paid_amount"], done["failed_count"]) == (
        "completed",
        1,
        600_000,
        1,
    )
    # The same results again change nothing; another reference, or paid after failed, is refused.
    assert (await client.post(results, json=body, headers=programme.headers)).status_code == 200
    other = {"results": [{"transfer_id": items[paid_one]["transfer_id"], "status": "paid", "reference": "OVO-78"}]}
    assert (await client.post(results, json=other, headers=programme.headers)).status_code == 409
    revive = {"results": [{"transfer_id": items[failing]["transfer_id"], "status": "paid", "reference": "OVO-79"}]}
    assert (await client.post(results, json=revive, headers=programme.headers)).status_code == 409

    # The failed transfer goes into a later batch, the paid one never again.
    retry = await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)
    assert retry.status_code == 201, retry.text
    retried = await transfers(client, programme, retry.json()["id"])
    assert [t["transfer_id"] for t in retried] == [items[failing]["transfer_id"]]
    paid_again = {"results": [{"transfer_id": items[failing]["transfer_id"], "status": "paid", "reference": "OVO-80"}]}
    assert (
        await client.post(f"{BATCHES}/{retry.json()['id']}/results", json=paid_again, headers=programme.headers)
    ).status_code == 200

    # Every rupiah traceable: eligibility, batching and the channel's reference are in the audit trail.
    trail = await fetch(
        db_url,
        "SELECT action FROM audit_log WHERE entity_type = 'incentive_transfer' AND entity_id = $1 ORDER BY id",
        items[failing]["transfer_id"],
    )
    assert [r["action"] for r in trail] == [
        "incentive_transfer.batched",
        "incentive_transfer.failed",
        "incentive_transfer.batched",
        "incentive_transfer.paid",
    ]
    now = datetime.now(UTC)
    report = await client.get(
        "/v1/programme/reports/summary",
        params={"from": iso(now - timedelta(days=1)), "to": iso(now + timedelta(days=1))},
        headers=programme.headers,
    )
    assert report.status_code == 200, report.text
    assert report.json()["total"]["incentives_paid"] == {"count": 2, "amount": 1_200_000}
    listed = (await client.get(BATCHES, params={"channel": "ovo"}, headers=programme.headers)).json()["items"]
    assert [b["id"] for b in listed] == [batch["id"], retry.json()["id"]]


async def test_results_must_fit_the_batch(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    await eligible_participant(client, programme, partner_a, db_url)
    batch = (await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)).json()
    transfer_id = (await transfers(client, programme, batch["id"]))[0]["transfer_id"]
    results = f"{BATCHES}/{batch['id']}/results"
    for body in (
        {"results": [{"transfer_id": "itr_other", "status": "paid", "reference": "X-1"}]},
        {"results": [{"transfer_id": transfer_id, "status": "paid"}]},
        {"results": [{"transfer_id": transfer_id, "status": "failed", "reason": "x", "reference": "X-1"}]},
        {"results": []},
    ):
        answer = await client.post(results, json=body, headers=programme.headers)
        assert answer.status_code == 422, (body, answer.text)
    assert (
        await client.post(
            f"{BATCHES}/dsb_nope/results",
            json={"results": [{"transfer_id": transfer_id, "status": "paid", "reference": "X"}]},
            headers=programme.headers,
        )
    ).status_code == 404
    assert (await client.get(f"{BATCHES}/dsb_nope", headers=programme.headers)).status_code == 404


async def test_the_database_refuses_a_second_payment(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    await eligible_participant(client, programme, partner_a, db_url)
    batch = (await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)).json()
    conn = await asyncpg.connect(db_url)
    try:
        item = await conn.fetchrow("SELECT transfer_id, channel, account_reference, amount FROM disbursement_items")
        await conn.execute("UPDATE disbursement_items SET status = 'paid', channel_reference = 'A', result_at = now()")
        await conn.execute("INSERT INTO disbursement_batches (id, channel) VALUES ('dsb_manual', 'ovo')")
        try:
            await conn.execute(
                """INSERT INTO disbursement_items (batch_id, transfer_id, channel, account_reference, amount, status,
                                                   channel_reference, result_at)
                   VALUES ('dsb_manual', $1, $2, $3, $4, 'paid', 'B', now())""",
                *item,
            )
            raise AssertionError("a second paid attempt was accepted")
        except asyncpg.UniqueViolationError:
            pass
        try:
            await conn.execute("UPDATE disbursement_items SET channel_reference = 'C'")
            raise AssertionError("a recorded result was rewritten")
        except asyncpg.InsufficientPrivilegeError:
            pass
    finally:
        await conn.close()
    assert batch["transfer_count"] == 1


async def test_two_batches_made_at_once_never_share_a_transfer(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, db_url: str, live_url: str
) -> None:
    for partner in (partner_a, partner_b, partner_a):
        await eligible_participant(client, programme, partner, db_url)
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as live:
        answers = await asyncio.gather(
            *(live.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers) for _ in range(4))
        )
    assert sorted({a.status_code for a in answers}) in ([201], [201, 409]), [a.text for a in answers]
    taken = await fetch(db_url, "SELECT transfer_id FROM disbursement_items")
    assert len(taken) == 3 == len({r["transfer_id"] for r in taken})
    assert sum(a.json()["transfer_count"] for a in answers if a.status_code == 201) == 3


async def test_frozen_participants_wait_and_scheme_2020_pays_monthly(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    frozen = await eligible_participant(client, programme, partner_a, db_url)
    assert (
        await client.post(f"{PARTICIPANTS}/{frozen}/freeze", json={"reason": "check"}, headers=programme.headers)
    ).status_code == 200
    assert (await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)).status_code == 409
    # Four monthly payments: only the first is payable now.
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("UPDATE incentives SET payments = 4 WHERE participant_id = $1", frozen)
        eligible_at = await conn.fetchval("SELECT eligible_at FROM incentives WHERE participant_id = $1", frozen)
        for k in (2, 3, 4):
            await conn.execute(
                "INSERT INTO incentive_transfers (id, participant_id, sequence, amount, payable_from) "
                "VALUES ($1, $2, $3, 600000, $4::timestamptz + make_interval(months => $3::integer - 1))",
                f"itr_test{k}",
                frozen,
                k,
                eligible_at,
            )
    finally:
        await conn.close()
    assert (
        await client.post(f"{PARTICIPANTS}/{frozen}/unfreeze", json={"reason": "cleared"}, headers=programme.headers)
    ).status_code == 200
    batch = await client.post(BATCHES, json={"channel": "ovo"}, headers=programme.headers)
    assert batch.status_code == 201, batch.text
    assert [t["sequence"] for t in await transfers(client, programme, batch.json()["id"])] == [1]


async def test_survey_incentives_are_recorded_once_each(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    participant = (await client.post(PARTICIPANTS, json=_participant(), headers=programme.headers)).json()
    url = f"{PARTICIPANTS}/{participant['id']}/survey-incentives"
    first = await client.post(url, json={"survey": 1}, headers=programme.headers)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == url
    assert first.json()["amount"] == 50_000
    assert (await client.post(url, json={"survey": 1}, headers=programme.headers)).status_code == 409
    assert (await client.post(url, json={"survey": 3}, headers=programme.headers)).status_code == 404
    assert (await client.post(url, json={"survey": 2}, headers=programme.headers)).status_code == 201
    listed = (await client.get(url, headers=programme.headers)).json()
    assert [(s["survey"], s["amount"]) for s in listed] == [(1, 50_000), (2, 50_000)]
    assert (
        await client.get(f"{PARTICIPANTS}/prt_nobody/survey-incentives", headers=programme.headers)
    ).status_code == 404


async def test_partners_cannot_reach_disbursements(client: Client, partner_a: Credentials) -> None:
    assert (await client.get(BATCHES, headers=partner_a.headers)).status_code in (403, 404)
    assert (await client.post(BATCHES, json={"channel": "ovo"}, headers=partner_a.headers)).status_code in (403, 404)


def _participant() -> dict[str, Any]:
    from tests.factories import participant_body

    return participant_body()
