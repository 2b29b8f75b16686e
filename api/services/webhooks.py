"""Webhook endpoints (a partner's subscriptions), their delivery log, and the delivery queue the worker drains.

Secrets are `whsec_…` (Standard Webhooks), shown once, stored sealed under the key-encryption key. A rotation
keeps the previous secret signing beside the new one for the grace period. Deliveries are queued by a trigger
on `events` (migration 0013) in the transaction of the change; the worker claims them here with SKIP LOCKED in
a statement that commits at once, so no transaction stays open across a network call.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec

from api.auth.signing_keys import seal, unseal
from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.common import Page
from api.schemas.webhooks import WebhookAttempt, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointWithSecret
from api.services import audit, events
from api.services.audit import Actor
from domain import webhooks as rules
from domain.errors import FieldProblem, NotFound, ValidationFailed

ENDPOINT_COLUMNS = "id, url, event_types, status, previous_secret_expires_at, created_at, updated_at"
# created_at and updated_at are the partner's now (its test clock in the sandbox); the delivery machinery (due
# times, attempts, the previous secret's grace) runs on the wall clock: it paces real HTTP calls to your server.
INSERT_ENDPOINT = f"""
INSERT INTO webhook_endpoints (id, partner_id, url, event_types, secret_encrypted, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
RETURNING {ENDPOINT_COLUMNS}
"""
SELECT_ENDPOINT = f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND partner_id = $2"
LIST_ENDPOINTS = f"""
SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
 WHERE partner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
 ORDER BY created_at, id LIMIT $4
"""
DELETE_ENDPOINT = "DELETE FROM webhook_endpoints WHERE id = $1 AND partner_id = $2 RETURNING id"
# The SET list reads the row as it was: the current secret becomes the previous one.
ROTATE_SECRET = f"""
UPDATE webhook_endpoints
   SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = now() + make_interval(secs => $4),
       secret_encrypted = $3, updated_at = $5
 WHERE id = $1 AND partner_id = $2
RETURNING {ENDPOINT_COLUMNS}
"""
QUEUE_PING = """
WITH ping AS (SELECT id FROM events WHERE public_id = $1),
     queued AS (INSERT INTO webhook_deliveries (endpoint_id, event_id) SELECT $2, id FROM ping)
SELECT pg_notify('webhook_deliveries', '')
"""
LIST_ATTEMPTS = """
SELECT a.id, a.attempt, a.attempted_at, a.status_code, a.latency_ms, a.error, a.next_attempt_at,
       e.public_id AS event_id, e.type AS event_type
  FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
 WHERE a.endpoint_id = $1 AND ($2::bigint IS NULL OR a.id < $2)
 ORDER BY a.id DESC LIMIT $3
"""

# The worker's side. A claim pushes next_attempt_at out by a lease: a worker that dies mid-call leaves its
# deliveries due again once the lease runs out (at least once); one that lives records the outcome first.
CLAIM_DUE = """
WITH due AS (
    SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
  FROM due, events e, webhook_endpoints w
 WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.endpoint_id
RETURNING d.id, d.attempts, extract(epoch FROM now() - d.created_at)::float8 AS age_seconds,
          w.id AS endpoint_id, w.url, w.secret_encrypted,
          CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_encrypted END AS previous_secret,
          e.public_id AS event_id, e.type AS event_type, e.created_at AS event_created_at, e.data::text AS data
"""
# Outcomes of many attempts in one statement, as arrays: the deliveries move on, the log grows, and endpoints
# change status (`enabled` after a success, `failing` after giving up; a success wins within one batch).
RECORD_OUTCOMES = """
WITH outcome AS (
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::int[], $5::timestamptz[], $6::int[], $7::int[],
                         $8::text[], $9::text[])
        AS o (delivery_id, status, retry_in, attempt, attempted_at, status_code, latency_ms, error, response_body)
), moved AS (
    UPDATE webhook_deliveries d
       SET status = o.status,
           next_attempt_at = CASE WHEN o.retry_in IS NULL THEN d.next_attempt_at
                                  ELSE now() + make_interval(secs => o.retry_in) END,
           finished_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END
      FROM outcome o
     WHERE d.id = o.delivery_id AND d.status = 'pending'
    RETURNING d.id, d.endpoint_id, o.attempt, o.attempted_at, o.status_code, o.latency_ms, o.error, o.response_body,
              CASE WHEN o.status = 'pending' THEN now() + make_interval(secs => o.retry_in) END AS next_attempt_at
), logged AS (
    INSERT INTO webhook_attempts
           (delivery_id, endpoint_id, attempt, attempted_at, status_code, latency_ms, error, response_body,
            next_attempt_at)
    SELECT id, endpoint_id, attempt, attempted_at, status_code, latency_ms, error, response_body, next_attempt_at
      FROM moved
)
UPDATE webhook_endpoints w SET status = e.status, updated_at = now() + coalesce(
    (SELECT make_interval(secs => k.offset_seconds) FROM sandbox_clocks k WHERE k.partner_id = w.partner_id),
    interval '0')
  FROM unnest($10::text[], $11::text[]) AS e (endpoint_id, status)
 WHERE w.id = e.endpoint_id AND w.status NOT IN ('disabled', e.status)
"""


class Claimed(msgspec.Struct, kw_only=True):
    """One delivery a worker now owns until its lease ends: where to send what, signed with which secrets."""

    id: int
    attempts: int
    age_seconds: float
    endpoint_id: str
    url: str
    secrets: list[str]
    event_id: str
    body: bytes


class Outcome(msgspec.Struct, kw_only=True):
    """What one HTTP attempt came to."""

    attempted_at: datetime
    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DestinationRefused(Exception):
    """The destination resolves to an address this deployment must not call."""


async def resolve_allowed(host: str, port: int, *, allow_private: bool, timeout: float | None = None) -> list[str]:  # noqa: ASYNC109
    """The addresses `host` resolves to, all of them checked; raises DestinationRefused (or OSError).

    Called when an endpoint is created and again by the delivery client at every connection, so a name that
    later resolves to 127.0.0.1 (DNS rebinding) is refused too.
    """
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"{host} does not resolve")
    if any(rules.metadata_address(a) for a in addresses):
        raise DestinationRefused(f"{host} resolves to a cloud metadata address")
    if not allow_private and any(rules.forbidden_address(a) for a in addresses):
        raise DestinationRefused(f"{host} resolves to an address that is not public")
    return addresses


async def check_destination(url: str, *, production: bool, allow_private: bool) -> None:
    """Refuse (422) a URL that is malformed, or outside development and sandbox does not resolve to public hosts."""
    rules.check_url(url, production=production)
    parts = urlsplit(url)
    if allow_private:
        # A partner's laptop may have a name only it resolves: only a literal metadata address is refused here
        # (the delivery client refuses any name that resolves to one when it connects).
        literal = _literal_address(parts.hostname or "")
        if literal is not None and rules.metadata_address(literal):
            problem = "must not be a cloud metadata address"
            raise ValidationFailed(f"The webhook URL {problem}.", problems=(FieldProblem("url", problem),))
        return
    assert parts.hostname is not None  # check_url refused URLs without one
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        await resolve_allowed(parts.hostname, port, allow_private=False, timeout=5.0)
    except (DestinationRefused, OSError, TimeoutError) as exc:
        problem = "must resolve to public addresses only"
        raise ValidationFailed(f"The webhook URL {problem}.", problems=(FieldProblem("url", problem),)) from exc


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _endpoint(row: Any) -> WebhookEndpoint:
    return msgspec.convert(dict(row), WebhookEndpoint)


async def create_endpoint(
    conn: Connection,
    actor: Actor,
    kek: bytes,
    partner_id: str,
    data: WebhookEndpointCreate,
    now: datetime,
    *,
    production: bool,
    allow_private: bool,
) -> WebhookEndpointWithSecret:
    """A new endpoint and its signing secret (in this response only)."""
    rules.check_event_types(data.event_types)
    await check_destination(data.url, production=production, allow_private=allow_private)
    endpoint_id = new_id("whe")
    secret = rules.new_secret()
    row = await conn.fetchrow(
        INSERT_ENDPOINT,
        endpoint_id,
        partner_id,
        data.url,
        sorted(set(data.event_types)),
        seal(kek, secret.encode(), endpoint_id.encode()),
        now,
    )
    endpoint = _endpoint(row)
    await audit.record(conn, actor, "webhook_endpoint.created", "webhook_endpoint", endpoint_id, after=endpoint)
    return WebhookEndpointWithSecret(**msgspec.structs.asdict(endpoint), secret=secret)


async def get_endpoint(conn: Connection, partner_id: str, endpoint_id: str) -> WebhookEndpoint:
    row = await conn.fetchrow(SELECT_ENDPOINT, endpoint_id, partner_id)
    if row is None:
        raise NotFound("No such webhook endpoint.")
    return _endpoint(row)


async def list_endpoints(conn: Connection, partner_id: str, limit: int, cursor: str | None) -> Page[WebhookEndpoint]:
    after = decode_cursor(cursor)
    rows = await conn.fetch(LIST_ENDPOINTS, partner_id, *(after or (None, None)), limit + 1)
    items = [_endpoint(r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def delete_endpoint(conn: Connection, actor: Actor, partner_id: str, endpoint_id: str) -> None:
    """Delete the endpoint with its pending deliveries and its log."""
    if await conn.fetchval(DELETE_ENDPOINT, endpoint_id, partner_id) is None:
        raise NotFound("No such webhook endpoint.")
    await audit.record(conn, actor, "webhook_endpoint.deleted", "webhook_endpoint", endpoint_id)


async def rotate_secret(
    conn: Connection,
    actor: Actor,
    kek: bytes,
    partner_id: str,
    endpoint_id: str,
    grace_seconds: float,
    now: datetime,
) -> WebhookEndpointWithSecret:
    """A new secret (shown once); the previous one keeps signing beside it for `grace_seconds` of real time."""
    secret = rules.new_secret()
    row = await conn.fetchrow(
        ROTATE_SECRET, endpoint_id, partner_id, seal(kek, secret.encode(), endpoint_id.encode()), grace_seconds, now
    )
    if row is None:
        raise NotFound("No such webhook endpoint.")
    endpoint = _endpoint(row)
    await audit.record(conn, actor, "webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint_id)
    return WebhookEndpointWithSecret(**msgspec.structs.asdict(endpoint), secret=secret)


async def send_ping(conn: Connection, partner_id: str, endpoint_id: str, now: datetime) -> events.Event:
    """Queue a `ping` event for this endpoint only; the workers hear of it when the transaction commits."""
    await get_endpoint(conn, partner_id, endpoint_id)
    data = {"endpoint_id": endpoint_id}
    row = await conn.fetchrow(
        events.INSERT_EVENT + " RETURNING public_id, type, created_at, data::text AS data",
        *events.arguments(partner_id, rules.PING, "webhook_endpoint", endpoint_id, data, now=now),
    )
    assert row is not None
    await conn.execute(QUEUE_PING, row["public_id"], endpoint_id)
    return events.Event(
        id=row["public_id"], type=row["type"], created_at=row["created_at"], data=msgspec.json.decode(row["data"])
    )


async def list_attempts(
    conn: Connection, partner_id: str, endpoint_id: str, limit: int, cursor: str | None
) -> Page[WebhookAttempt]:
    """The endpoint's delivery attempts, newest first."""
    await get_endpoint(conn, partner_id, endpoint_id)
    after = decode_cursor(cursor)
    before_id = int(after[1]) if after and after[1].isdigit() and len(after[1]) < 19 else None
    if after and before_id is None:
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
        )
    rows = await conn.fetch(LIST_ATTEMPTS, endpoint_id, before_id, limit + 1)
    items = [msgspec.convert(dict(r), WebhookAttempt) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(last["attempted_at"], str(last["id"])) if last is not None else None
    return Page(items=items, next_cursor=next_cursor)


async def claim_due(conn: Connection, kek: bytes, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to `limit` due deliveries for `lease_seconds` (call outside a transaction: the claim commits)."""
    claimed = []
    for row in await conn.fetch(CLAIM_DUE, limit, lease_seconds):
        signing = [unseal(kek, row["secret_encrypted"], row["endpoint_id"].encode()).decode()]
        if row["previous_secret"] is not None:
            signing.append(unseal(kek, row["previous_secret"], row["endpoint_id"].encode()).decode())
        envelope = (
            b'{"id":'
            + msgspec.json.encode(row["event_id"])
            + b',"type":'
            + msgspec.json.encode(row["event_type"])
            + b',"created_at":'
            + msgspec.json.encode(row["event_created_at"])
            + b',"data":'
            + row["data"].encode()
            + b"}"
        )
        claimed.append(
            Claimed(
                id=row["id"],
                attempts=row["attempts"],
                age_seconds=row["age_seconds"],
                endpoint_id=row["endpoint_id"],
                url=row["url"],
                secrets=signing,
                event_id=row["event_id"],
                body=envelope,
            )
        )
    return claimed


class Recorded(msgspec.Struct, kw_only=True):
    """A finished attempt: the delivery, what happened, and when to try again (None: never)."""

    delivery: Claimed
    outcome: Outcome
    retry_in: float | None


async def record_outcomes(conn: Connection, results: list[Recorded]) -> None:
    """Log the attempts and move each delivery on: delivered, due again in `retry_in` seconds, or failed for good.

    A success revives a `failing` endpoint; giving up marks it `failing`.
    """
    statuses = [
        "delivered" if r.outcome.succeeded else ("failed" if r.retry_in is None else "pending") for r in results
    ]
    endpoints: dict[str, str] = {}
    for result, status in zip(results, statuses, strict=True):
        if status == "delivered":
            endpoints[result.delivery.endpoint_id] = "enabled"
        elif status == "failed":
            endpoints.setdefault(result.delivery.endpoint_id, "failing")
    await conn.execute(
        RECORD_OUTCOMES,
        [r.delivery.id for r in results],
        statuses,
        [r.retry_in if status == "pending" else None for r, status in zip(results, statuses, strict=True)],
        [r.delivery.attempts for r in results],
        [r.outcome.attempted_at for r in results],
        [r.outcome.status_code for r in results],
        [r.outcome.latency_ms for r in results],
        [r.outcome.error for r in results],
        [r.outcome.response_body for r in results],
        list(endpoints),
        list(endpoints.values()),
    )
