"""A participant reaches `completed` when the scheme says so (docs/programme.md, "Completing the programme"):
by the certificate or the completion that comes last, or by the balance-deadline lapse; and never before."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.jobs.worker import sweep
from tests.auth import Credentials
from tests.courses import approved
from tests.database import fetch
from tests.integration.test_learning import certify, finish
from tests.money import PARTICIPANTS, buy, enrol, ledger_consistent, redeem
from tests.unit.scheme_fixtures import SCHEME_2024

Client = AsyncTestClient[Any]


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
    yield created
    await created.close()


async def status_of(client: Client, programme: Credentials, participant_id: str) -> tuple[str, int]:
    shown = (await client.get(f"{PARTICIPANTS}/{participant_id}", headers=programme.headers)).json()
    return shown["status"], shown["balance"]


async def train(
    client: Client, partner: Credentials, programme: Credentials, db_url: str, participant_id: str, course_id: str
) -> str:
    """Buy `course_id`, redeem it and complete it; returns the enrollment id (no certificate yet)."""
    bought = await buy(client, programme, participant_id, course_id)
    assert bought.status_code == 201, bought.text
    redeemed = await redeem(client, partner, bought.json()["code"], f"lms-{participant_id[-8:]}-{course_id[-8:]}")
    assert redeemed.status_code == 201, redeemed.text
    enrollment_id: str = redeemed.json()["id"]
    await finish(client, partner, db_url, enrollment_id)
    return enrollment_id


async def test_the_certificate_that_comes_last_completes_the_participant(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    """Scheme 2020, one course that spends the whole balance: the completion alone is not enough (no
    certificate yet); the certificate is, with an audit row and an event for the programme and for the partner."""
    course = await approved(client, partner_a, programme, price=1_000_000)
    person = await enrol(client, programme, scheme="2020", name="Budi Santoso")
    enrollment_id = await train(client, partner_a, programme, db_url, person["id"], course["id"])
    assert await status_of(client, programme, person["id"]) == ("active", 0)

    assert (await certify(client, partner_a, enrollment_id)).status_code == 201
    assert await status_of(client, programme, person["id"]) == ("completed", 0)

    audited = await fetch(
        db_url,
        "SELECT actor_type, before, after FROM audit_log WHERE action = 'participant.completed' AND entity_id = $1",
        person["id"],
    )
    assert [r["actor_type"] for r in audited] == ["partner_client"]
    assert json.loads(audited[0]["before"]) == {"status": "active"}
    assert json.loads(audited[0]["after"])["certified_trainings"] == 1
    programme_events = await fetch(
        db_url, "SELECT data FROM events WHERE type = 'participant.completed' AND partner_id IS NULL"
    )
    assert [json.loads(r["data"])["participant_id"] for r in programme_events] == [person["id"]]
    feed = await client.get("/v1/events", params={"type": "participant.completed"}, headers=partner_a.headers)
    assert feed.status_code == 200, feed.text
    [event] = feed.json()["items"]
    assert event["data"]["enrollment_id"] == enrollment_id
    assert event["data"]["participant"] == {"name_masked": "Budi S."}
    assert person["id"] not in json.dumps(event)  # the partner never learns the programme's participant id

    second = await approved(client, partner_a, programme, price=100_000)
    refused = await buy(client, programme, person["id"], second["id"])
    assert refused.status_code == 409, refused.text
    assert await status_of(client, programme, person["id"]) == ("completed", 0)


async def test_the_completion_that_spends_the_balance_last_completes_the_participant(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials, db_url: str
) -> None:
    """A certified first training with balance left is not the end; the second training, bought with the rest
    and completed (its certificate not needed), is. The event goes to the partner of that last training."""
    first = await approved(client, partner_a, programme, price=400_000)
    last = await approved(client, partner_b, programme, price=600_000)
    person = await enrol(client, programme, scheme="2020")
    first_enrollment = await train(client, partner_a, programme, db_url, person["id"], first["id"])
    assert (await certify(client, partner_a, first_enrollment)).status_code == 201
    assert await status_of(client, programme, person["id"]) == ("active", 600_000)

    bought = await buy(client, programme, person["id"], last["id"])
    assert bought.status_code == 201, bought.text
    assert await status_of(client, programme, person["id"]) == ("active", 0)  # a training is in progress
    redeemed = await redeem(client, partner_b, bought.json()["code"], "lms-second")
    assert redeemed.status_code == 201, redeemed.text
    await finish(client, partner_b, db_url, redeemed.json()["id"])
    assert await status_of(client, programme, person["id"]) == ("completed", 0)

    partners = await fetch(db_url, "SELECT partner_id FROM events WHERE type = 'participant.completed'")
    assert sorted(r["partner_id"] or "" for r in partners) == ["", partner_b.partner_id]


async def test_the_balance_deadline_lapse_completes_a_participant_with_nothing_in_progress(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str, pool: asyncpg.Pool
) -> None:
    """Balance left after a certified training: active until the deadline; the worker's lapse then completes
    them. One with a training in progress, or none certified, loses the balance but stays active."""
    course = await approved(client, partner_a, programme)
    other = await approved(client, partner_a, programme)
    done = await enrol(client, programme)
    certified = await train(client, partner_a, programme, db_url, done["id"], course["id"])
    assert (await certify(client, partner_a, certified, "CERT-LAPSE-1")).status_code == 201
    busy = await enrol(client, programme)
    assert (
        await certify(
            client,
            partner_a,
            await train(client, partner_a, programme, db_url, busy["id"], other["id"]),
            "CERT-LAPSE-2",
        )
    ).status_code == 201
    in_progress = await buy(client, programme, busy["id"], course["id"])
    assert (await redeem(client, partner_a, in_progress.json()["code"], "lms-busy")).status_code == 201
    uncertified = await enrol(client, programme)
    await train(client, partner_a, programme, db_url, uncertified["id"], course["id"])
    for person in (done, uncertified):
        assert await status_of(client, programme, person["id"]) == ("active", 2_000_000)

    deadline = SCHEME_2024.balance_deadline(datetime.fromisoformat(done["accepted_at"]))
    on_the_day = datetime.combine(deadline, time(23), tzinfo=UTC)
    await sweep(pool, on_the_day)
    assert await status_of(client, programme, done["id"]) == ("active", 2_000_000)

    report = await sweep(pool, on_the_day + timedelta(hours=2))
    assert report.lapsed == 3
    assert await status_of(client, programme, done["id"]) == ("completed", 0)
    assert await status_of(client, programme, busy["id"]) == ("active", 0)
    assert await status_of(client, programme, uncertified["id"]) == ("active", 0)
    audited = await fetch(db_url, "SELECT actor_id, entity_id FROM audit_log WHERE action = 'participant.completed'")
    assert [(r["actor_id"], r["entity_id"]) for r in audited] == [("worker", done["id"])]
    await ledger_consistent(db_url)


async def test_a_frozen_participant_is_completed_only_when_unfrozen(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    course = await approved(client, partner_a, programme, price=1_000_000)
    person = await enrol(client, programme, scheme="2020")
    enrollment_id = await train(client, partner_a, programme, db_url, person["id"], course["id"])
    url = f"{PARTICIPANTS}/{person['id']}"
    frozen = await client.post(f"{url}/freeze", json={"reason": "check"}, headers=programme.headers)
    assert frozen.status_code == 200, frozen.text
    assert (await certify(client, partner_a, enrollment_id)).status_code == 201
    assert await status_of(client, programme, person["id"]) == ("frozen", 0)
    unfrozen = await client.post(f"{url}/unfreeze", json={"reason": "cleared"}, headers=programme.headers)
    assert (unfrozen.status_code, unfrozen.json()["status"]) == (200, "completed")
