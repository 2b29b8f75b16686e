"""The audit trail: who did what to which entity, before and after, in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from api.auth.access import Principal
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.audit import AuditEntry, AuditFilters, AuditVerification
from api.schemas.common import Page
from domain import audit_chain as chain
from domain.errors import FieldProblem, ValidationFailed

INSERT_AUDIT = """
INSERT INTO audit_log
    (actor_type, actor_id, partner_id, action, entity_type, entity_id, before, after, request_id, acting_client_id)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)
"""


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a change, as the audit log records it."""

    type: str
    id: str | None
    partner_id: str | None
    request_id: str | None
    # The client a staff member acted through (the portal), as the token's `act` claim named it.
    acting_client_id: str | None = None

    @classmethod
    def of(cls, principal: Principal, request_id: str) -> Actor:
        if principal.staff_id is not None:
            # A person acting through the portal client: the person is the author (the token's `act` names the client).
            return cls("staff", principal.staff_id, None, request_id, principal.client_id)
        kind = "programme_client" if principal.is_programme else "partner_client"
        return cls(kind, principal.client_id, principal.partner_id, request_id)

    @classmethod
    def system(cls, name: str, request_id: str | None = None) -> Actor:
        return cls("system", name, None, request_id)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return msgspec.json.encode(value, enc_hook=str).decode()


def arguments(
    actor: Actor, action: str, entity_type: str, entity_id: str, *, before: Any = None, after: Any = None
) -> tuple[Any, ...]:
    """The arguments of INSERT_AUDIT for one row; never pass secrets or tokens in `before`/`after`."""
    return (
        actor.type,
        actor.id,
        actor.partner_id,
        action,
        entity_type,
        entity_id,
        _json(before),
        _json(after),
        actor.request_id,
        actor.acting_client_id,
    )


async def record(
    conn: Connection,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row; never pass secrets or tokens in `before`/`after`."""
    await conn.execute(INSERT_AUDIT, *arguments(actor, action, entity_type, entity_id, before=before, after=after))


# --- reading the trail and sealing it (programme:audit) ----------------------------------------------------------

SEAL_LOCK_KEY = 7_041_977_000_016
"""One sealer at a time (a transaction-scoped advisory lock the worker tries, never waits for)."""
SEAL_MARGIN = "10 minutes"
"""Longer than any transaction runs: rows below a seal this old that are still unsealed will never commit."""
SEAL_LOW_WATER = f"""
SELECT high_water FROM audit_seals WHERE sealed_at < now() - interval '{SEAL_MARGIN}' ORDER BY sealed_at DESC LIMIT 1
"""
SEAL_HEAD = "SELECT hash FROM audit_seals ORDER BY seq DESC LIMIT 1"
SEAL_HIGH_WATER = "SELECT coalesce(max(high_water), 0) FROM audit_seals"
AUDIT_ROW_COLUMNS = """
a.id, a.at, a.actor_type, a.actor_id, a.partner_id, a.action, a.entity_type, a.entity_id, a.before::text AS before,
a.after::text AS after, a.request_id
"""
UNSEALED = f"""
SELECT {AUDIT_ROW_COLUMNS} FROM audit_log a
 WHERE a.id > $1 AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id)
 ORDER BY a.id LIMIT $2
"""
INSERT_SEALS = """
INSERT INTO audit_seals (audit_id, previous_hash, hash, high_water)
SELECT audit_id, previous_hash, hash, high_water
  FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[])
       WITH ORDINALITY AS s (audit_id, previous_hash, hash, high_water, n)
 ORDER BY n
"""
SEALED_PAGE = f"""
SELECT s.seq, s.audit_id, s.previous_hash, s.hash, {AUDIT_ROW_COLUMNS}
  FROM audit_seals s LEFT JOIN audit_log a ON a.id = s.audit_id
 WHERE s.seq > $1 ORDER BY s.seq LIMIT $2
"""
LIST_AUDIT = f"""
SELECT {AUDIT_ROW_COLUMNS} FROM audit_log a
 WHERE ($1::text IS NULL OR a.entity_type = $1)
   AND ($2::text IS NULL OR a.entity_id = $2)
   AND ($3::text IS NULL OR a.actor_id = $3)
   AND ($4::text IS NULL OR a.action = $4)
   AND ($5::timestamptz IS NULL OR a.at >= $5)
   AND ($6::timestamptz IS NULL OR a.at < $6)
   AND ($7::bigint IS NULL OR a.id < $7)
 ORDER BY a.id DESC LIMIT $8
"""


def _record(row: Any) -> chain.AuditRecord:
    return chain.AuditRecord(
        id=row["id"],
        at=row["at"],
        actor_type=row["actor_type"],
        actor_id=row["actor_id"],
        partner_id=row["partner_id"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        before=row["before"],
        after=row["after"],
        request_id=row["request_id"],
    )


async def seal_batch(conn: Connection, batch_size: int) -> int:
    """Seal up to `batch_size` committed, unsealed audit rows onto the chain; 0 if another sealer is at work."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SEAL_LOCK_KEY):
        return 0
    low_water = await conn.fetchval(SEAL_LOW_WATER) or 0
    rows = await conn.fetch(UNSEALED, low_water, batch_size)
    if not rows:
        return 0
    head = await conn.fetchval(SEAL_HEAD) or chain.GENESIS
    high_water = await conn.fetchval(SEAL_HIGH_WATER)
    seals = chain.seal(head, (_record(r) for r in rows))
    marks = []
    for audit_id, _, _ in seals:
        high_water = max(high_water, audit_id)
        marks.append(high_water)
    await conn.execute(INSERT_SEALS, [s[0] for s in seals], [s[1] for s in seals], [s[2] for s in seals], marks)
    return len(rows)


async def verify_chain(conn: Connection, page_size: int = 5000) -> AuditVerification:
    """Recompute every seal from the rows as they are now; name the first row whose content or link changed."""
    check = chain.ChainCheck()
    after_seq = 0
    while True:
        rows = await conn.fetch(SEALED_PAGE, after_seq, page_size)
        for row in rows:
            record = _record(row) if row["id"] is not None else None  # None: the sealed row was deleted
            check.feed(chain.SealedRecord(row["audit_id"], record, bytes(row["previous_hash"]), bytes(row["hash"])))
        if len(rows) < page_size:
            break
        after_seq = rows[-1]["seq"]
    return AuditVerification(
        valid=check.valid,
        checked=check.checked,
        first_invalid_id=str(check.first_invalid_id) if check.first_invalid_id is not None else None,
        head_hash=check.head_hash,
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=str(row["id"]),
        at=row["at"],
        actor=row["actor_id"],
        actor_type=row["actor_type"],
        partner_id=row["partner_id"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        before=msgspec.json.decode(row["before"]) if row["before"] is not None else None,
        after=msgspec.json.decode(row["after"]) if row["after"] is not None else None,
        request_id=row["request_id"],
    )


async def list_entries(conn: Connection, filters: AuditFilters, limit: int, cursor: str | None) -> Page[AuditEntry]:
    """Audit rows, newest first, filtered; the cursor continues below the last id shown."""
    after = decode_cursor(cursor)
    before_id = None
    if after is not None:
        try:
            before_id = int(after[1])
        except ValueError:
            raise ValidationFailed(
                "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
            ) from None
    rows = await conn.fetch(
        LIST_AUDIT,
        filters.entity_type,
        filters.entity_id,
        filters.actor,
        filters.action,
        filters.since,
        filters.until,
        before_id,
        limit + 1,
    )
    entries = [_entry(r) for r in rows[:limit]]
    next_cursor = encode_cursor(entries[-1].at, entries[-1].id) if len(rows) > limit else None
    return Page(items=entries, next_cursor=next_cursor)
