"""Staff login and the token exchange: the portal acts for a person, never beyond that person's role."""

from __future__ import annotations

import base64
import json
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.auth import (
    Credentials,
    create_staff,
    exchange_staff_session,
    onboard_partner,
    staff_session,
    totp_code,
)
from tests.factories import course_body

Client = AsyncTestClient[Any]


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_a_curator_token_acts_for_the_person_with_the_role_scopes_only(
    client: Client, programme: Credentials, settings: Settings
) -> None:
    curator = await create_staff(settings, "curator")
    session = await staff_session(client, programme, curator)
    response = await exchange_staff_session(client, programme, session)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "programme:curation"
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["expires_in"] <= 300
    claims = claims_of(body["access_token"])
    assert claims["sub"] == curator.id
    assert claims["act"] == {"sub": programme.client_id}
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["staff_id"] == curator.id
    # Asking for more than the role grants gives nothing more.
    wider = await exchange_staff_session(client, programme, session, scope="programme:curation programme:finance")
    assert wider.json()["scope"] == "programme:curation"
    finance_only = await exchange_staff_session(client, programme, session, scope="programme:finance")
    assert finance_only.status_code == 400
    assert finance_only.json()["error"] == "invalid_scope"


async def test_staff_actions_are_audited_as_the_staff_member(
    client: Client, programme: Credentials, settings: Settings, db_url: str
) -> None:
    manager = await create_staff(settings, "partner_manager")
    token = (await exchange_staff_session(client, programme, await staff_session(client, programme, manager))).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    created = await client.post(
        "/v1/programme/partners",
        json={"name": "Audited", "kind": "platform", "contact_email": "a@example.com"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            "SELECT actor_type, actor_id, acting_client_id FROM audit_log WHERE entity_id = $1 ORDER BY id LIMIT 1",
            created.json()["id"],
        )
    finally:
        await conn.close()
    assert row is not None
    assert (row["actor_type"], row["actor_id"], row["acting_client_id"]) == ("staff", manager.id, programme.client_id)
    # The role's scopes are all it gets: a partner manager cannot curate.
    queue = await client.get("/v1/programme/courses", headers=headers)
    assert queue.status_code == 403


async def test_wrong_password_or_code_is_refused_and_five_failures_lock(
    client: Client, programme: Credentials, settings: Settings
) -> None:
    support = await create_staff(settings, "support")
    wrong_code = str((int(totp_code(support.totp_secret)) + 1) % 1_000_000).zfill(6)
    attempts = [
        {"email": support.email, "password": "not the password", "otp": totp_code(support.totp_secret)},
        {"email": support.email, "password": support.password, "otp": wrong_code},
        {"email": "nobody@example.com", "password": support.password, "otp": totp_code(support.totp_secret)},
    ]
    for body in attempts:
        refused = await client.post("/v1/programme/staff/sessions", json=body, headers=programme.headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["code"] == "invalid_staff_credentials"
    for _ in range(3):  # two failures so far on this account; three more make five
        await client.post("/v1/programme/staff/sessions", json=attempts[0], headers=programme.headers)
    right = {"email": support.email, "password": support.password, "otp": totp_code(support.totp_secret)}
    locked = await client.post("/v1/programme/staff/sessions", json=right, headers=programme.headers)
    assert locked.status_code == 423, locked.text
    assert locked.json()["code"] == "staff_locked"
    assert int(locked.headers["retry-after"]) > 0


async def test_a_totp_code_works_once(client: Client, programme: Credentials, settings: Settings) -> None:
    auditor = await create_staff(settings, "auditor")
    await staff_session(client, programme, auditor)
    again = await client.post(
        "/v1/programme/staff/sessions",
        json={"email": auditor.email, "password": auditor.password, "otp": totp_code(auditor.totp_secret)},
        headers=programme.headers,
    )
    assert again.status_code == 401


async def test_a_session_is_bound_to_its_portal_client_and_ends_at_logout(
    client: Client, programme: Credentials, settings: Settings
) -> None:
    admin = await create_staff(settings, "admin")
    session = await staff_session(client, programme, admin)
    assert set((await exchange_staff_session(client, programme, session)).json()["scope"].split()) == {
        "programme:partners", "programme:curation", "programme:participants", "programme:finance", "programme:audit",
    }  # fmt: skip
    from tests.auth import programme_credentials

    other_portal = await programme_credentials(client, settings)
    stolen = await exchange_staff_session(client, other_portal, session)
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    ended = await client.post(
        "/v1/programme/staff/sessions/revoke", json={"session_token": session}, headers=programme.headers
    )
    assert ended.status_code == 204
    after = await exchange_staff_session(client, programme, session)
    assert after.json()["error"] == "invalid_grant"


async def test_partners_and_staff_tokens_cannot_log_staff_in(
    client: Client, programme: Credentials, settings: Settings
) -> None:
    partner = await onboard_partner(client, programme, "Sneaky")
    curator = await create_staff(settings, "curator")
    body = {"email": curator.email, "password": curator.password, "otp": totp_code(curator.totp_secret)}
    as_partner = await client.post("/v1/programme/staff/sessions", json=body, headers=partner.headers)
    assert as_partner.status_code == 404
    partner_exchange = await exchange_staff_session(
        client, partner, await staff_session(client, programme, curator), scope=None
    )
    assert partner_exchange.status_code == 400
    assert partner_exchange.json()["error"] == "unauthorized_client"
    assert course_body()  # the factories stay importable for the portal tests


async def test_forged_act_claims_are_rejected(client: Client, programme: Credentials) -> None:
    me = await client.get("/v1/me", headers=programme.headers)
    assert me.json()["staff_id"] is None


async def test_concurrent_logins_count_every_failure_and_use_a_code_once(live_url: str, settings: Settings) -> None:
    """Real concurrent requests on separate connections: the staff row lock serializes the checks."""
    import asyncio

    import httpx

    from api.jobs.bootstrap import create_programme_client

    portal = await create_programme_client(settings, "Portal", None)
    support = await create_staff(settings, "support")
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        issued = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(portal.client_id, portal.client_secret)
        )
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        code = totp_code(support.totp_secret)
        right = {"email": support.email, "password": support.password, "otp": code}
        twice = await asyncio.gather(
            *[http.post("/v1/programme/staff/sessions", json=right, headers=headers) for _ in range(2)]
        )
        assert sorted(r.status_code for r in twice) == [201, 401]

        wrong = {**right, "password": "wrong password entirely", "otp": totp_code(support.totp_secret, 1)}
        failures = await asyncio.gather(
            *[http.post("/v1/programme/staff/sessions", json=wrong, headers=headers) for _ in range(5)]
        )
        assert [r.status_code for r in failures].count(401) + [r.status_code for r in failures].count(423) == 5
        fresh = {**right, "otp": totp_code(support.totp_secret, 1)}
        locked = await http.post("/v1/programme/staff/sessions", json=fresh, headers=headers)
        assert locked.status_code == 423, locked.text
