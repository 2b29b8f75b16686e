"""Learning progress over HTTP: attendance, assessment, completion, certificates, verification, incentives."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from joserfc import jwk, jwt
from litestar.testing import AsyncTestClient

from tests.auth import Credentials
from tests.courses import approved
from tests.database import fetch
from tests.factories import iso
from tests.money import PARTICIPANTS, key, redeem, sold_voucher

Client = AsyncTestClient[Any]


async def backdate(db_url: str, enrollment_id: str, days: int) -> None:
    """As if the voucher had been redeemed `days` ago (the elapsed-days rule needs real calendar days)."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            "UPDATE enrollments SET redeemed_at = redeemed_at - make_interval(days => $2) WHERE id = $1",
            enrollment_id,
            days,
        )
    finally:
        await conn.close()


@pytest.fixture
async def enrollment(client: Client, programme: Credentials, partner_a: Credentials) -> dict[str, Any]:
    """A fresh enrollment on an approved 15-hour self-paced course with 5 modules."""
    course = await approved(client, partner_a, programme)
    voucher = await sold_voucher(client, programme, course["id"], name="Budi Santoso")
    response = await redeem(client, partner_a, voucher["code"], "lms-budi")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def attend_all(client: Client, partner: Credentials, enrollment_id: str, at: datetime, n: int = 5) -> None:
    for sequence in range(1, n + 1):
        response = await client.put(
            f"/v1/enrollments/{enrollment_id}/attendance/{sequence}",
            json={"attended_at": iso(at)},
            headers=partner.headers,
        )
        assert response.status_code == 200, response.text


async def finish(client: Client, partner: Credentials, db_url: str, enrollment_id: str) -> dict[str, Any]:
    """Attendance, assessment and completion, as if it all happened over the last week."""
    await backdate(db_url, enrollment_id, 7)
    await attend_all(client, partner, enrollment_id, datetime.now(UTC) - timedelta(days=6))
    await client.put(
        f"/v1/enrollments/{enrollment_id}/assessment",
        json={"score": 85, "assessed_at": iso(datetime.now(UTC) - timedelta(hours=2))},
        headers=partner.headers,
    )
    response = await client.post(
        f"/v1/enrollments/{enrollment_id}/completion",
        json={"completed_at": iso(datetime.now(UTC) - timedelta(hours=1))},
        headers={**partner.headers, **key()},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def certify(client: Client, partner: Credentials, enrollment_id: str, number: str = "CERT-0001") -> Any:
    return await client.post(
        f"/v1/enrollments/{enrollment_id}/certificate",
        json={"number": number, "issued_at": iso(datetime.now(UTC) - timedelta(minutes=5))},
        headers={**partner.headers, **key()},
    )


async def test_a_fresh_enrollment_says_what_blocks_completion(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any]
) -> None:
    assert enrollment["attendance"] == []
    assert enrollment["required_sessions"] == 5
    assert enrollment["participant_name_masked"] == "Budi S."
    codes = [b["code"] for b in enrollment["blockers"]]
    assert codes == ["attendance_incomplete", "assessment_missing", "completion_too_early"]
    assert enrollment["blockers"][0]["message"].startswith("0 of 5")
    assert enrollment["blockers"][2]["earliest_completion_at"]
    assert enrollment["allowed_actions"] == ["record_attendance", "record_assessment"]


async def test_the_whole_path_to_a_verified_certificate(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    completed = await finish(client, partner_a, db_url, enrollment["id"])
    assert completed["status"] == "completed"
    assert completed["blockers"] == []
    assert completed["allowed_actions"] == ["issue_certificate"]
    voucher = (await client.get(f"/v1/vouchers/{enrollment['voucher_code']}", headers=partner_a.headers)).json()
    assert voucher["status"] == "completed"

    issued = await certify(client, partner_a, enrollment["id"])
    assert issued.status_code == 201, issued.text
    certificate = issued.json()
    assert certificate["status"] == "valid"
    assert certificate["verification_url"].endswith(f"/v1/certificates/{certificate['id']}/verification")

    assert certificate["id"].startswith("crt_")
    assert issued.headers["location"] == f"/v1/certificates/{certificate['id']}"

    verification = (await client.get(f"/v1/certificates/{certificate['id']}/verification")).json()
    assert verification["status"] == "valid"
    assert verification["participant_name_masked"] == "Budi S."
    assert verification["partner_name"] == "Partner A"
    assert verification["number"] == "CERT-0001"
    assert verification["jwks_uri"] == "http://testserver.local/.well-known/jwks.json"

    # Offline verification with a standard JOSE library and nothing but the published JWKS.
    keys = jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    token = jwt.decode(verification["credential"], keys, algorithms=["ES256"])
    credential = token.claims["vc"]
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["credentialSubject"]["licenseNumber"] == "CERT-0001"
    assert credential["issuer"]["name"] == "Partner A"
    # Public: no more than the masked name; an employer who knows the name can check the salted hash.
    assert "Santoso" not in json.dumps(verification)
    [identity] = credential["credentialSubject"]["identifier"]
    assert identity["hashed"] is True
    salted = hashlib.sha256(("Budi Santoso" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${salted}"

    # The issuer and subject of the credential resolve: the issuer profile and the (masked) verification.
    issuer_path = credential["issuer"]["id"].removeprefix("http://testserver.local")
    profile = (await client.get(issuer_path)).json()
    assert profile == {"id": credential["issuer"]["id"], "type": ["Profile"], "name": "Partner A"}
    subject_path = credential["credentialSubject"]["id"].removeprefix("http://testserver.local")
    assert (await client.get(subject_path)).json()["certificate_id"] == certificate["id"]

    # By number: the partner is part of the lookup (numbers are unique per partner only).
    by_number = await client.get(
        f"/v1/partners/{partner_a.partner_id}/certificates/verification", params={"number": "CERT-0001"}
    )
    assert by_number.status_code == 200, by_number.text
    assert by_number.json()["certificate_id"] == certificate["id"]
    missing = await client.get(
        f"/v1/partners/{partner_a.partner_id}/certificates/verification", params={"number": "CERT-9999"}
    )
    assert missing.status_code == 404

    # The issuing partner alone gets the full credential, with the earner's name.
    mine = await client.get(f"/v1/certificates/{certificate['id']}", headers=partner_a.headers)
    assert mine.status_code == 200, mine.text
    full = jwt.decode(mine.json()["credential"], keys, algorithms=["ES256"]).claims["vc"]
    assert full["credentialSubject"]["name"] == "Budi Santoso"

    shown = (await client.get(f"/v1/enrollments/{enrollment['id']}", headers=partner_a.headers)).json()
    assert shown["certificate"]["id"] == certificate["id"]
    assert shown["allowed_actions"] == []

    revoked = await client.post(
        f"/v1/enrollments/{enrollment['id']}/certificate/revoke",
        json={"reason": "issued in error"},
        headers=partner_a.headers,
    )
    assert revoked.json()["status"] == "revoked"
    assert (await client.get(f"/v1/certificates/{certificate['id']}/verification")).json()["status"] == "revoked"
    types = [r["type"] for r in await fetch(db_url, "SELECT type FROM events ORDER BY id")]
    assert {"enrollment.completed", "certificate.issued", "certificate.revoked"} <= set(types)


async def test_attendance_refusals_and_idempotence(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any]
) -> None:
    url = f"/v1/enrollments/{enrollment['id']}/attendance"
    now = datetime.now(UTC)
    beyond = await client.put(f"{url}/6", json={"attended_at": iso(now)}, headers=partner_a.headers)
    assert beyond.status_code == 422
    assert beyond.json()["errors"][0]["field"] == "sequence"
    future = await client.put(
        f"{url}/1", json={"attended_at": iso(now + timedelta(hours=1))}, headers=partner_a.headers
    )
    # Well-formed times that contradict the enrollment (after now, before the redemption): a conflict, not a 422.
    assert (future.status_code, future.json()["code"]) == (409, "out_of_time_order")
    before = await client.put(f"{url}/1", json={"attended_at": iso(now - timedelta(days=1))}, headers=partner_a.headers)
    assert (before.status_code, before.json()["code"]) == (409, "out_of_time_order")
    assert before.json()["errors"][0]["field"] == "attended_at"
    first = await client.put(f"{url}/1", json={"attended_at": iso(now)}, headers=partner_a.headers)
    again = await client.put(f"{url}/1", json={"attended_at": iso(now)}, headers=partner_a.headers)
    assert first.json()["attendance"] == again.json()["attendance"]
    assert len(again.json()["attendance"]) == 1
    assert again.json()["blockers"][0]["message"].startswith("1 of 5")


async def test_completion_refusals(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    url = f"/v1/enrollments/{enrollment['id']}/completion"
    now = datetime.now(UTC)

    async def complete() -> Any:
        return await client.post(url, json={"completed_at": iso(now)}, headers={**partner_a.headers, **key()})

    assert (await complete()).json()["code"] == "attendance_incomplete"
    await attend_all(client, partner_a, enrollment["id"], now)
    assert (await complete()).json()["code"] == "assessment_missing"
    await client.put(
        f"/v1/enrollments/{enrollment['id']}/assessment",
        json={"score": 70, "assessed_at": iso(now)},
        headers=partner_a.headers,
    )
    too_early = await complete()
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "completion_too_early"
    assert (await certify(client, partner_a, enrollment["id"])).json()["code"] == "not_completed"
    future = await client.post(
        url, json={"completed_at": iso(now + timedelta(days=1))}, headers={**partner_a.headers, **key()}
    )
    assert (future.status_code, future.json()["code"]) == (409, "out_of_time_order")


async def test_completion_and_certificate_retries(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    await backdate(db_url, enrollment["id"], 7)
    await attend_all(client, partner_a, enrollment["id"], datetime.now(UTC) - timedelta(days=6))
    await client.put(
        f"/v1/enrollments/{enrollment['id']}/assessment",
        json={"score": 90, "assessed_at": iso(datetime.now(UTC))},
        headers=partner_a.headers,
    )
    body = {"completed_at": iso(datetime.now(UTC))}
    same_key = {**partner_a.headers, "Idempotency-Key": "complete-once"}
    url = f"/v1/enrollments/{enrollment['id']}/completion"
    first = await client.post(url, json=body, headers=same_key)
    replay = await client.post(url, json=body, headers=same_key)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert first.content == replay.content
    new_key = await client.post(url, json=body, headers={**partner_a.headers, **key()})
    assert new_key.status_code == 409
    assert new_key.json()["code"] == "invalid_state_transition"

    cert_key = {**partner_a.headers, "Idempotency-Key": "certify-once"}
    cert_body = {"number": "CERT-77", "issued_at": iso(datetime.now(UTC))}
    cert_url = f"/v1/enrollments/{enrollment['id']}/certificate"
    issued = await client.post(cert_url, json=cert_body, headers=cert_key)
    replayed = await client.post(cert_url, json=cert_body, headers=cert_key)
    assert issued.status_code == replayed.status_code == 201
    assert issued.content == replayed.content
    twice = await client.post(cert_url, json={**cert_body, "number": "CERT-78"}, headers={**partner_a.headers, **key()})
    assert twice.status_code == 409
    assert len(await fetch(db_url, "SELECT 1 FROM certificates")) == 1


async def test_certificate_numbers_are_unique_per_partner(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    course = await approved(client, partner_a, programme)
    ids = []
    for learner in ("one", "two"):
        voucher = await sold_voucher(client, programme, course["id"])
        ids.append((await redeem(client, partner_a, voucher["code"], learner)).json()["id"])
    for enrollment_id in ids:
        await finish(client, partner_a, db_url, enrollment_id)
    assert (await certify(client, partner_a, ids[0], "SAME-1")).status_code == 201
    taken = await certify(client, partner_a, ids[1], "SAME-1")
    assert taken.status_code == 409
    assert taken.json()["code"] == "certificate_number_taken"


async def test_partner_b_cannot_see_or_touch_a_enrollment(
    client: Client, partner_a: Credentials, partner_b: Credentials, enrollment: dict[str, Any]
) -> None:
    url = f"/v1/enrollments/{enrollment['id']}"
    b = partner_b.headers
    now = iso(datetime.now(UTC))
    attempts = [
        await client.get(url, headers=b),
        await client.put(f"{url}/attendance/1", json={"attended_at": now}, headers=b),
        await client.put(f"{url}/assessment", json={"score": 1, "assessed_at": now}, headers=b),
        await client.post(f"{url}/completion", json={"completed_at": now}, headers={**b, **key()}),
        await client.post(f"{url}/certificate", json={"number": "X", "issued_at": now}, headers={**b, **key()}),
        await client.post(f"{url}/certificate/revoke", json={"reason": "x"}, headers=b),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.url, response.text)
    assert (await client.get("/v1/enrollments", headers=partner_b.headers)).json()["items"] == []
    assert [e["id"] for e in (await client.get("/v1/enrollments", headers=partner_a.headers)).json()["items"]] == [
        enrollment["id"]
    ]


async def test_enrollment_list_filters(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    listed = (await client.get("/v1/enrollments", params={"status": "completed"}, headers=partner_a.headers)).json()
    assert listed["items"] == []
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert (
        await client.get("/v1/enrollments", params={"updated_since": iso(later)}, headers=partner_a.headers)
    ).json()["items"] == []
    by_course = await client.get(
        "/v1/enrollments", params={"course_id": enrollment["course_id"]}, headers=partner_a.headers
    )
    assert len(by_course.json()["items"]) == 1


async def test_unknown_certificate_is_404(client: Client) -> None:
    assert (await client.get("/v1/certificates/not-a-uuid/verification")).status_code == 404
    missing = "/v1/certificates/00000000-0000-4000-8000-000000000000/verification"
    assert (await client.get(missing)).status_code == 404


async def test_incentive_eligibility_is_recorded_once(
    client: Client, programme: Credentials, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    await finish(client, partner_a, db_url, enrollment["id"])
    voucher = (await client.get(f"/v1/vouchers/{enrollment['voucher_code']}", headers=partner_a.headers)).json()
    assert voucher["status"] == "completed"
    participant_id = (await fetch(db_url, "SELECT participant_id FROM enrollments"))[0]["participant_id"]
    review = f"{PARTICIPANTS}/{participant_id}/review"
    assert (await client.post(review, headers=programme.headers)).status_code == 200
    assert await fetch(db_url, "SELECT 1 FROM incentives") == []
    assert (await certify(client, partner_a, enrollment["id"])).status_code == 201
    assert (await client.post(review, headers=programme.headers)).status_code == 200
    rows = await fetch(db_url, "SELECT amount_per_payment, payments FROM incentives")
    assert [(r["amount_per_payment"], r["payments"]) for r in rows] == [(600_000, 1)]
    events = await fetch(db_url, "SELECT data FROM events WHERE type = 'participant.incentive_eligible'")
    assert len(events) == 1
    assert json.loads(events[0]["data"])["total"] == 600_000


async def test_review_and_certificate_at_once_make_one_incentive(
    client: Client,
    programme: Credentials,
    partner_a: Credentials,
    enrollment: dict[str, Any],
    db_url: str,
    live_url: str,
) -> None:
    await finish(client, partner_a, db_url, enrollment["id"])
    participant_id = (await fetch(db_url, "SELECT participant_id FROM enrollments"))[0]["participant_id"]
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as live:
        review, certificate = await asyncio.gather(
            live.post(f"{PARTICIPANTS}/{participant_id}/review", headers=programme.headers),
            live.post(
                f"/v1/enrollments/{enrollment['id']}/certificate",
                json={"number": "RACE-1", "issued_at": iso(datetime.now(UTC))},
                headers={**partner_a.headers, **key()},
            ),
        )
    assert (review.status_code, certificate.status_code) == (200, 201)
    assert len(await fetch(db_url, "SELECT 1 FROM incentives")) == 1
    assert len(await fetch(db_url, "SELECT 1 FROM events WHERE type = 'participant.incentive_eligible'")) == 1


async def test_another_partner_cannot_read_my_full_certificate(
    client: Client, partner_a: Credentials, partner_b: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    await finish(client, partner_a, db_url, enrollment["id"])
    certificate = (await certify(client, partner_a, enrollment["id"])).json()
    assert (await client.get(f"/v1/certificates/{certificate['id']}", headers=partner_b.headers)).status_code == 404
    other = f"/v1/partners/{partner_b.partner_id}/certificates/verification"
    assert (await client.get(other, params={"number": "CERT-0001"})).status_code == 404


async def test_a_certificate_id_handed_out_as_a_bare_uuid_still_resolves(
    client: Client, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    await finish(client, partner_a, db_url, enrollment["id"])
    certificate = (await certify(client, partner_a, enrollment["id"])).json()
    legacy_id = str(uuid.UUID(certificate["id"].removeprefix("crt_")))
    verification = await client.get(f"/v1/certificates/{legacy_id}/verification")
    assert verification.status_code == 200, verification.text
    assert verification.json()["certificate_id"] == certificate["id"]
    keys = jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    claims = jwt.decode(verification.json()["credential"], keys, algorithms=["ES256"]).claims
    assert claims["jti"] == f"urn:uuid:{legacy_id}"
    assert "Santoso" not in json.dumps(claims)


async def test_a_training_flagged_as_fraud_earns_no_incentive(
    client: Client, programme: Credentials, partner_a: Credentials, enrollment: dict[str, Any], db_url: str
) -> None:
    await finish(client, partner_a, db_url, enrollment["id"])
    assert (await certify(client, partner_a, enrollment["id"])).status_code == 201
    flagged = await client.post(
        f"/v1/programme/vouchers/{enrollment['voucher_code']}/flag-fraud",
        json={"reason": "attendance faked"},
        headers=programme.headers,
    )
    assert flagged.status_code == 200, flagged.text
    participant_id = (await fetch(db_url, "SELECT participant_id FROM enrollments"))[0]["participant_id"]
    assert (await client.post(f"{PARTICIPANTS}/{participant_id}/review", headers=programme.headers)).status_code == 200
    assert await fetch(db_url, "SELECT 1 FROM incentives") == []
