"""The event outbox and the feed a partner walks.

Every change writes its event through `emit` (or `arguments` + INSERT_EVENT inside a combined statement) in the
transaction of the change, so an event exists exactly when its change committed. The row gets a stable public
id (`evt_…`), the id of the writing transaction (xid8), and `created_at` on the partner's clock (a sandbox
partner's test clock, unless the caller passes `now`). A trigger (migration 0013) queues one webhook delivery
per matching endpoint and notifies the delivery workers on commit.

The feed serves only events whose writing transaction is older than every transaction of this database still
running (the snapshot's in-progress list, less those running in other databases of the server), in (xid, id)
order: a transaction that could still commit an event has an xid at or above that horizon, so an event can
never appear behind a cursor already handed out (no gaps), and the strict (xid, id) order hands out each event
once (no duplicates). The price: an open transaction in this database holds the feed back until it ends.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.http.dependencies import Connection
from api.http.pagination import EVENT_CURSOR_PATTERN
from api.schemas.common import described
from api.schemas.webhooks import DeliveredEventTypeName
from domain.errors import FieldProblem, ValidationFailed

# $6 is the partner's `now` when the caller has it; otherwise the partner's clock is read here (the wall clock
# plus a sandbox partner's test-clock offset; no offset outside the sandbox).
INSERT_EVENT = """
INSERT INTO events (partner_id, type, entity_type, entity_id, data, created_at)
VALUES ($1, $2, $3, $4, $5::jsonb, coalesce($6::timestamptz, now() + coalesce(
    (SELECT make_interval(secs => k.offset_seconds) FROM sandbox_clocks k WHERE k.partner_id = $1), interval '0')))
"""
# The horizon: the oldest transaction still running when the statement's snapshot was taken, leaving out those
# that are running in another database of the server (they cannot write our events). A transaction is left out
# only while pg_stat_activity shows it in another database; one that has finished since, or whose database this
# role may not see, counts, so the horizon can only err low (late), never high (a gap).
FEED = """
WITH snapshot AS (SELECT pg_current_snapshot() AS s),
elsewhere AS (
    SELECT backend_xid::text::bigint AS xid32 FROM pg_stat_activity
     WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
),
horizon AS (
    SELECT coalesce(
        (SELECT min(x) FROM snapshot, pg_snapshot_xip(snapshot.s) AS x
          WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid32 FROM elsewhere)),
        (SELECT pg_snapshot_xmax(s) FROM snapshot)
    ) AS xmin
)
SELECT h.xmin::text AS horizon, e.xid::text AS xid, e.id, e.public_id, e.type, e.created_at, e.data::text AS data
  FROM horizon h LEFT JOIN LATERAL (
       SELECT xid, id, public_id, type, created_at, data FROM events
        WHERE partner_id = $1 AND type <> 'ping' AND ($4::text IS NULL OR type = $4)
          AND (xid, id) > ($2::text::xid8, $3::bigint) AND xid < h.xmin
        ORDER BY xid, id LIMIT $5) e ON true
"""
# 2^63 - 1: a cursor at (xid, MAX_ID) points after every event that transaction wrote.
MAX_ID = 9_223_372_036_854_775_807


class Event(msgspec.Struct, kw_only=True):
    """The envelope the feed and webhooks carry."""

    id: Annotated[str, described("The event's id (the `webhook-id` of its deliveries); deduplicate on it.")]
    type: Annotated[
        DeliveredEventTypeName,
        described(
            "What happened, as `resource.past_tense` (e.g. `voucher.redeemed`); `ping` only for a webhook endpoint's "
            "test message, never in the feed."
        ),
    ]
    created_at: Annotated[datetime, described("When it happened; RFC 3339 in UTC.")]
    data: Annotated[dict[str, Any], described("The resource as it was right after the change.")]


class EventPage(msgspec.Struct, kw_only=True):
    """One page of the feed; `next_cursor` is never null: pass it back as `after` to continue."""

    items: Annotated[list[Event], described("Events after the cursor, oldest first.")]
    next_cursor: Annotated[str, described("Never null: pass it as `after` to continue, even from an empty page.")]


def arguments(
    partner_id: str | None,
    event_type: str,
    entity_type: str,
    entity_id: str,
    data: Any,
    *,
    now: datetime | None = None,
) -> tuple[Any, ...]:
    """The arguments of INSERT_EVENT for one event (`now`: the partner's clock, when the caller has it)."""
    return partner_id, event_type, entity_type, entity_id, msgspec.json.encode(data, enc_hook=str).decode(), now


async def emit(
    conn: Connection,
    partner_id: str | None,
    event_type: str,
    entity_type: str,
    entity_id: str,
    data: Any,
    *,
    now: datetime | None = None,
) -> None:
    """Record `event_type` with the resource after the change, in the caller's transaction."""
    await conn.execute(INSERT_EVENT, *arguments(partner_id, event_type, entity_type, entity_id, data, now=now))


_EVENT_CURSOR = re.compile(EVENT_CURSOR_PATTERN)


def encode_cursor(xid: int, event_id: int) -> str:
    """The opaque cursor that continues after the event (`xid`, `event_id`)."""
    return f"{xid}.{event_id}"


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    """The (xid, id) a cursor points after; (0, 0) for the start; a 422 for anything without a cursor's form."""
    if cursor is None:
        return 0, 0
    if not _EVENT_CURSOR.fullmatch(cursor):
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("after", "invalid cursor"),)
        )
    # Parts beyond 2^63 - 1 point after every event there is, as MAX_ID does.
    xid, event_id = (min(int(part), MAX_ID) for part in cursor.split("."))
    return xid, event_id


async def feed(conn: Connection, partner_id: str, after: str | None, limit: int, event_type: str | None) -> EventPage:
    """The partner's events after the cursor, oldest first, never one that could still be overtaken."""
    xid, event_id = decode_cursor(after)
    rows = await conn.fetch(FEED, partner_id, str(xid), event_id, event_type, limit)
    items = [
        Event(id=r["public_id"], type=r["type"], created_at=r["created_at"], data=msgspec.json.decode(r["data"]))
        for r in rows
        if r["id"] is not None
    ]
    last = (int(rows[-1]["xid"]), rows[-1]["id"]) if items else (xid, event_id)
    if len(items) < limit:
        # Everything before the horizon was read: resume from there, so a filtered or quiet feed is not rescanned.
        last = max(last, (int(rows[0]["horizon"]) - 1, MAX_ID))
    return EventPage(items=items, next_cursor=encode_cursor(*last))
