"""OAuth clients: creation (secret shown once), listing, secret rotation with a grace period, disabling."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from joserfc import jwk
from joserfc.errors import JoseError

from api.auth.client_secrets import SecretHasher, new_client_secret
from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.partners import Client, ClientCreate, ClientWithSecret
from api.services import audit
from api.services.audit import Actor
from domain import clients as rules
from domain.errors import EnvironmentNotServed, FieldProblem, NotFound, PartnerSuspended, ValidationFailed

CLIENT_COLUMNS = """
client_id, partner_id, name, environment, scopes, status, rate_limit_per_minute, previous_secret_expires_at,
created_at, updated_at, jwks IS NOT NULL AS has_jwks
"""
INSERT_CLIENT = f"""
INSERT INTO oauth_clients (client_id, partner_id, name, environment, scopes, secret_hash, jwks, rate_limit_per_minute)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
RETURNING {CLIENT_COLUMNS}
"""
SELECT_PARTNER_STATUS_FOR_SHARE = "SELECT status FROM partners WHERE id = $1 FOR SHARE"
SELECT_CLIENT = f"SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
LOCK_CLIENT = f"SELECT {CLIENT_COLUMNS}, secret_hash FROM oauth_clients WHERE client_id = $1 FOR UPDATE"
ROTATE_SECRET = f"""
UPDATE oauth_clients
   SET previous_secret_hash = secret_hash, previous_secret_expires_at = $3, secret_hash = $2, updated_at = now()
 WHERE client_id = $1
RETURNING {CLIENT_COLUMNS}
"""
DISABLE_CLIENT = f"""
UPDATE oauth_clients SET status = 'disabled', updated_at = now() WHERE client_id = $1 RETURNING {CLIENT_COLUMNS}
"""
LIST_CLIENTS = f"""
SELECT {CLIENT_COLUMNS} FROM oauth_clients
 WHERE ($1::text IS NULL OR partner_id = $1)
   AND ($2::timestamptz IS NULL OR (created_at, client_id) > ($2, $3))
 ORDER BY created_at, client_id
 LIMIT $4
"""


def _client(row: asyncpg.Record) -> Client:
    data = dict(row)
    methods = ["client_secret_basic", "client_secret_post"]
    if data.pop("has_jwks", False):
        methods.append("private_key_jwt")
    data.pop("secret_hash", None)
    return msgspec.convert({**data, "token_endpoint_auth_methods": methods}, Client)


def check_jwks(jwks: dict[str, Any] | None) -> dict[str, Any] | None:
    """A client's registered public keys for `private_key_jwt`: public keys only, each with a kid."""
    if jwks is None:
        return None
    problem = rules.jwks_problem(jwks)
    if problem is None:
        try:
            jwk.KeySet.import_key_set({"keys": jwks["keys"]})
        except (JoseError, ValueError, TypeError, KeyError):
            problem = "jwks holds a key that cannot be read"
    if problem:
        raise ValidationFailed("The client's JWKS is not acceptable.", problems=(FieldProblem("jwks", problem),))
    return {"keys": jwks["keys"]}


async def create_client(
    conn: Connection,
    actor: Actor,
    hasher: SecretHasher,
    partner_id: str | None,
    body: ClientCreate,
    *,
    app_env: str,
) -> ClientWithSecret:
    """A new client for a partner (or, with `partner_id` None, for the programme); returns its secret once."""
    environment = rules.Environment(body.environment)
    if not rules.environment_accepted(app_env, environment):
        raise EnvironmentNotServed(
            f"This deployment serves {app_env} clients only.",
            problems=(FieldProblem("environment", f"must match the deployment ({app_env})"),),
        )
    scopes = rules.check_scopes(body.scopes, for_partner=partner_id is not None, environment=environment)
    jwks = check_jwks(body.jwks)
    if partner_id is not None:
        status = await conn.fetchval(SELECT_PARTNER_STATUS_FOR_SHARE, partner_id)
        if status is None:
            raise NotFound("No such partner.")
        if status != "active":
            raise PartnerSuspended("A suspended partner cannot be issued new clients.")
    secret = new_client_secret()
    row = await conn.fetchrow(
        INSERT_CLIENT,
        new_id("cli"),
        partner_id,
        body.name.strip(),
        environment.value,
        list(scopes),
        await hasher.hash(secret),
        json.dumps(jwks) if jwks else None,
        body.rate_limit_per_minute,
    )
    assert row is not None
    client = _client(row)
    await audit.record(conn, actor, "client.created", "client", client.client_id, after=client)
    return ClientWithSecret(**msgspec.structs.asdict(client), client_secret=secret)


async def list_clients(conn: Connection, partner_id: str | None, limit: int, cursor: str | None) -> Page[Client]:
    keyset = Keyset.of(cursor, limit)
    items = [_client(r) for r in await conn.fetch(LIST_CLIENTS, partner_id, *keyset.arguments)]
    page, next_cursor = keyset.split(items, lambda item: (item.created_at, item.client_id))
    return Page(items=list(page), next_cursor=next_cursor)


async def get_client(conn: Connection, client_id: str) -> Client:
    row = await conn.fetchrow(SELECT_CLIENT, client_id)
    if row is None:
        raise NotFound("No such client.")
    return _client(row)


async def _lock_client(conn: Connection, client_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(LOCK_CLIENT, client_id)
    if row is None:
        raise NotFound("No such client.")
    return row


async def rotate_secret(
    conn: Connection, actor: Actor, hasher: SecretHasher, client_id: str, *, now: datetime, grace: timedelta
) -> ClientWithSecret:
    """A new secret; the old one keeps working until `now + grace`, then never again."""
    row = await _lock_client(conn, client_id)
    if row["status"] != rules.ClientStatus.ACTIVE:
        rules.disable(rules.ClientStatus(row["status"]))  # raises: a disabled client is not rotated
    secret = new_client_secret()
    updated = await conn.fetchrow(ROTATE_SECRET, client_id, await hasher.hash(secret), now + grace)
    assert updated is not None
    client = _client(updated)
    await audit.record(
        conn,
        actor,
        "client.secret_rotated",
        "client",
        client_id,
        after={"previous_secret_expires_at": client.previous_secret_expires_at},
    )
    return ClientWithSecret(**msgspec.structs.asdict(client), client_secret=secret)


async def disable_client(conn: Connection, actor: Actor, client_id: str, reason: str | None) -> Client:
    row = await _lock_client(conn, client_id)
    rules.disable(rules.ClientStatus(row["status"]))
    updated = await conn.fetchrow(DISABLE_CLIENT, client_id)
    assert updated is not None
    await audit.record(
        conn, actor, "client.disabled", "client", client_id, before={"status": row["status"]}, after={"reason": reason}
    )
    return _client(updated)
