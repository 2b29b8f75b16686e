"""Programme endpoints for partners and clients: validation, pagination, state changes, audit."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.__main__ import main
from api.settings import Settings
from tests.auth import Credentials, request_token

Client = AsyncTestClient[Any]
PARTNERS = "/v1/programme/partners"


async def audit_actions(db_url: str, entity_id: str) -> list[str]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id", entity_id)
        return [r["action"] for r in rows]
    finally:
        await conn.close()


async def test_create_and_show_partner(client: Client, programme: Credentials, db_url: str) -> None:
    created = await client.post(
        PARTNERS,
        json={"name": "Skill Academy", "kind": "provider", "contact_email": "ops@skill.example"},
        headers=programme.headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "active"
    assert body["id"].startswith("prt_")
    shown = await client.get(f"{PARTNERS}/{body['id']}", headers=programme.headers)
    assert shown.json() == body
    assert await audit_actions(db_url, body["id"]) == ["partner.created"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "kind": "school", "contact_email": "a@b.co"}, "kind"),
        ({"name": "", "kind": "platform", "contact_email": "a@b.co"}, "name"),
        ({"name": "X", "kind": "platform", "contact_email": "not-an-email"}, "contact_email"),
        ({"name": "X", "kind": "platform", "contact_email": "a@b.co", "status": "suspended"}, "status"),
        ({"kind": "platform", "contact_email": "a@b.co"}, "name"),
    ],
)
async def test_invalid_partner_bodies_are_422(
    client: Client, programme: Credentials, body: dict[str, Any], field: str
) -> None:
    response = await client.post(PARTNERS, json=body, headers=programme.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert field in [e["field"] for e in response.json()["errors"]]
    listed = await client.get(PARTNERS, headers=programme.headers)
    assert listed.json()["items"] == []


async def test_unknown_partner_is_404(client: Client, programme: Credentials) -> None:
    for method, path in [
        ("GET", f"{PARTNERS}/prt_missing"),
        ("POST", f"{PARTNERS}/prt_missing/suspend"),
        ("POST", f"{PARTNERS}/prt_missing/reinstate"),
        ("POST", "/v1/programme/clients/cli_missing/disable"),
        ("POST", "/v1/programme/clients/cli_missing/rotate-secret"),
    ]:
        response = await client.request(method, path, headers=programme.headers)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    missing_partner = await client.post(
        f"{PARTNERS}/prt_missing/clients",
        json={"name": "c", "environment": "sandbox", "scopes": ["courses:read"]},
        headers=programme.headers,
    )
    assert missing_partner.status_code == 404


async def test_partner_list_paginates_every_partner_once(client: Client, programme: Credentials) -> None:
    for n in range(5):
        await client.post(
            PARTNERS, json={"name": f"P{n}", "kind": "platform", "contact_email": "a@b.co"}, headers=programme.headers
        )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(PARTNERS, params=params, headers=programme.headers)).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{n}" for n in range(5)]
    for bad in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage!"}):
        response = await client.get(PARTNERS, params=bad, headers=programme.headers)
        assert response.status_code == 422, bad


async def test_partner_clients_never_hold_programme_scopes(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    response = await client.post(
        f"{PARTNERS}/{partner_a.partner_id}/clients",
        json={"name": "sneaky", "environment": "sandbox", "scopes": ["courses:read", "programme:finance"]},
        headers=programme.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes.1"  # the item that is not a partner scope


async def test_sandbox_scope_needs_a_sandbox_client(
    client: Client, programme: Credentials, partner_a: Credentials
) -> None:
    response = await client.post(
        f"{PARTNERS}/{partner_a.partner_id}/clients",
        json={"name": "prod", "environment": "production", "scopes": ["sandbox:simulate"]},
        headers=programme.headers,
    )
    assert response.status_code == 422


async def test_suspended_partner_gets_no_new_clients(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    await client.post(f"{PARTNERS}/{partner_a.partner_id}/suspend", headers=programme.headers)
    response = await client.post(
        f"{PARTNERS}/{partner_a.partner_id}/clients",
        json={"name": "more", "environment": "sandbox", "scopes": ["courses:read"]},
        headers=programme.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "partner_suspended"
    assert "partner.suspended" in await audit_actions(db_url, partner_a.partner_id or "")


async def test_client_list_hides_secrets_and_filters_by_partner(
    client: Client, programme: Credentials, partner_a: Credentials, partner_b: Credentials
) -> None:
    listed = await client.get(
        "/v1/programme/clients", params={"partner_id": partner_a.partner_id}, headers=programme.headers
    )
    items = listed.json()["items"]
    assert [c["client_id"] for c in items] == [partner_a.client_id]
    assert "client_secret" not in items[0]
    assert partner_a.client_secret not in listed.text
    everyone = await client.get("/v1/programme/clients", headers=programme.headers)
    ids = {c["client_id"] for c in everyone.json()["items"]}
    assert {partner_a.client_id, partner_b.client_id, programme.client_id} <= ids


async def test_client_changes_are_audited(
    client: Client, programme: Credentials, partner_a: Credentials, db_url: str
) -> None:
    await client.post(f"/v1/programme/clients/{partner_a.client_id}/rotate-secret", headers=programme.headers)
    await client.post(f"/v1/programme/clients/{partner_a.client_id}/disable", headers=programme.headers)
    assert await audit_actions(db_url, partner_a.client_id) == [
        "client.created",
        "client.secret_rotated",
        "client.disabled",
    ]


async def test_failed_token_requests_are_audited_as_counts(client: Client, partner_a: Credentials, db_url: str) -> None:
    await request_token(client, partner_a.client_id, "cs_wrong")
    await request_token(client, partner_a.client_id, "cs_wrong_again")
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT after FROM audit_log WHERE action = 'client.authentication_failed' AND entity_id = $1 ORDER BY id",
            partner_a.client_id,
        )
    finally:
        await conn.close()
    assert [json.loads(r["after"]) for r in rows] == [{"failures_in_window": 1}, {"failures_in_window": 2}]


async def test_partner_tokens_see_nothing_of_the_programme_or_each_other(
    client: Client, partner_a: Credentials, partner_b: Credentials
) -> None:
    for path in (PARTNERS, f"{PARTNERS}/{partner_a.partner_id}", "/v1/programme/clients"):
        response = await client.get(path, headers=partner_b.headers)
        assert response.status_code == 404, path
    for path in (f"{PARTNERS}/{partner_a.partner_id}/suspend", f"/v1/programme/clients/{partner_a.client_id}/disable"):
        response = await client.post(path, headers=partner_b.headers)
        assert response.status_code == 404, path
    mine = (await client.get("/v1/me", headers=partner_b.headers)).json()
    assert mine["partner_id"] == partner_b.partner_id
    assert (await client.get("/v1/me", headers=partner_a.headers)).json()["partner_id"] == partner_a.partner_id


def test_bootstrap_cli_prints_programme_credentials(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_HASH_PROFILE", "fast")
    monkeypatch.setattr("api.__main__.configure_logging", lambda level: None)  # keep pytest's log capture
    assert main(["clients", "create-programme", "--name", "Portal"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["client_id"].startswith("cli_")
    assert printed["client_secret"].startswith("cs_")
