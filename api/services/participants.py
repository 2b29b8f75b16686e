"""Participants: enrolment with the scheme's grant, balance and ledger, freezing, completing the programme."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from api.auth.national_id import NationalIdHasher
from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.participants import LedgerLine, Participant, ParticipantCreate, ParticipantDetail
from api.services import audit, events, ledger, schemes
from api.services.audit import Actor
from api.services.clock import Clock
from domain import ledger as money
from domain import participants as rules
from domain.errors import FieldProblem, NotFound, ParticipantAlreadyEnrolled

PARTICIPANT_COLUMNS = """
p.id, p.programme_number, p.name, p.email, p.phone, p.scheme, p.accepted_at, p.status, b.balance, p.reviewed_at,
p.created_at
"""
INSERT_PARTICIPANT = """
INSERT INTO participants (id, programme_number, nik_hash, name, email, phone, scheme, accepted_at, sandbox_partner_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING
RETURNING id
"""
SELECT_PARTICIPANT = f"""
SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN balances b ON b.participant_id = p.id WHERE p.id = $1
"""
LOCK_PARTICIPANT = (
    "SELECT id, status, scheme, accepted_at, sandbox_partner_id FROM participants WHERE id = $1 FOR UPDATE"
)
UPDATE_STATUS = "UPDATE participants SET status = $2, updated_at = now() WHERE id = $1"
SELECT_LEDGER = """
SELECT kind, amount, balance_after, voucher_code, created_at AS at FROM ledger_entries
 WHERE participant_id = $1 ORDER BY id DESC LIMIT 100
"""
LIST_PARTICIPANTS = f"""
SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN balances b ON b.participant_id = p.id
 WHERE ($1::timestamptz IS NULL OR (p.created_at, p.id) > ($1, $2))
 ORDER BY p.created_at, p.id LIMIT $3
"""
EXISTING_IDENTITY = """
SELECT programme_number = $1 AS same_number FROM participants WHERE programme_number = $1 OR nik_hash = $2
"""


def _participant(row: asyncpg.Record) -> Participant:
    return msgspec.convert(dict(row), Participant)


async def enrol(
    conn: Connection,
    actor: Actor,
    hasher: NationalIdHasher,
    body: ParticipantCreate,
    *,
    sandbox_partner_id: str | None = None,
) -> ParticipantDetail:
    """A new participant credited with the scheme's training balance (one `grant` ledger entry)."""
    scheme = await schemes.requested_scheme(conn, body.scheme)
    nik_hash = hasher.hash(body.nik)
    participant_id = new_id("par")
    inserted = await conn.fetchval(
        INSERT_PARTICIPANT,
        participant_id,
        body.programme_number,
        nik_hash,
        body.name.strip(),
        body.email,
        body.phone,
        scheme.code,
        body.accepted_at,
        sandbox_partner_id,
    )
    if inserted is None:
        clash = await conn.fetchrow(EXISTING_IDENTITY, body.programme_number, nik_hash)
        field = "programme_number" if clash is None or clash["same_number"] else "nik"
        raise ParticipantAlreadyEnrolled(
            "This participant is already enrolled.", problems=(FieldProblem(field, "already enrolled"),)
        )
    await ledger.open_balance(conn, participant_id)
    await ledger.post(conn, participant_id, money.grant_for(scheme))
    detail = await get_participant(conn, participant_id)
    await audit.record(
        conn,
        actor,
        "participant.enrolled",
        "participant",
        participant_id,
        after={"programme_number": detail.programme_number, "scheme": detail.scheme, "balance": detail.balance},
    )
    return detail


async def get_participant(conn: Connection, participant_id: str) -> ParticipantDetail:
    row = await conn.fetchrow(SELECT_PARTICIPANT, participant_id)
    if row is None:
        raise NotFound("No such participant.")
    lines = [msgspec.convert(dict(r), LedgerLine) for r in await conn.fetch(SELECT_LEDGER, participant_id)]
    return ParticipantDetail(**msgspec.structs.asdict(_participant(row)), ledger=lines)


async def list_participants(conn: Connection, limit: int, cursor: str | None) -> Page[Participant]:
    keyset = Keyset.of(cursor, limit)
    items = [_participant(r) for r in await conn.fetch(LIST_PARTICIPANTS, *keyset.arguments)]
    page, next_cursor = keyset.split(items, lambda item: (item.created_at, item.id))
    return Page(items=list(page), next_cursor=next_cursor)


class LockedParticipant(msgspec.Struct, kw_only=True, frozen=True):
    """A participant locked for a money movement: what the purchase and status rules read."""

    id: str
    status: rules.ParticipantStatus
    scheme: str
    accepted_at: datetime
    sandbox_partner_id: str | None


async def lock(conn: Connection, participant_id: str) -> LockedParticipant:
    """The participant row, locked: every money movement of one participant happens one at a time."""
    row = await conn.fetchrow(LOCK_PARTICIPANT, participant_id)
    if row is None:
        raise NotFound("No such participant.")
    return msgspec.convert(dict(row), LockedParticipant)


async def change_status(
    conn: Connection,
    actor: Actor,
    participant_id: str,
    action: rules.ParticipantAction,
    reason: str | None,
    clock: Clock,
) -> ParticipantDetail:
    """Freeze or unfreeze (audited with the reason). An unfrozen participant who meets the scheme's conditions
    is completed at once (a sandbox participant by its partner's test clock)."""
    row = await lock(conn, participant_id)
    target = rules.next_participant_status(row.status, action)
    await conn.execute(UPDATE_STATUS, participant_id, target.value)
    await audit.record(
        conn,
        actor,
        f"participant.{action.value}",
        "participant",
        participant_id,
        before={"status": row.status.value},
        after={"status": target.value, "reason": reason},
    )
    if action is rules.ParticipantAction.UNFREEZE:
        await complete_if_due(conn, actor, participant_id, await clock.now(conn, row.sandbox_partner_id))
    return await get_participant(conn, participant_id)


OPEN_TRAININGS = "SELECT count(*) FROM vouchers WHERE participant_id = $1 AND status IN ('sold', 'redeemed')"


async def revoke_for_fraud(conn: Connection, actor: Actor, participant_id: str, reason: str) -> ParticipantDetail:
    """The programme revokes a participant for fraud: status `revoked`, and the balance returns to the state."""
    row = await lock(conn, participant_id)
    open_trainings = await conn.fetchval(OPEN_TRAININGS, participant_id)
    target = rules.revoke_for_fraud(row.status, has_open_training=open_trainings > 0)
    await conn.execute(UPDATE_STATUS, participant_id, target.value)
    await audit.record(
        conn,
        actor,
        "participant.revoked",
        "participant",
        participant_id,
        before={"status": row.status.value},
        after={"status": target.value, "reason": reason},
    )
    await lapse(conn, actor, participant_id, "revoked for fraud")
    return await get_participant(conn, participant_id)


async def revoke_and_lapse(
    conn: Connection, actor: Actor, participant_id: str, now: datetime, reason: str = "first purchase deadline"
) -> bool:
    """Revoke a participant who missed the first-purchase deadline; the balance returns to the state.

    The sandbox's `participant_revoked` scenario calls it with its own reason for a test participant who holds a
    voucher, a state the programme's rules never reach, so a partner can test its handling of the refusal.
    """
    row = await lock(conn, participant_id)
    if row.status != rules.ParticipantStatus.ACTIVE:
        return False
    await conn.execute(UPDATE_STATUS, participant_id, rules.revoke(row.status).value)
    await lapse(conn, actor, participant_id, reason)
    await audit.record(conn, actor, "participant.revoked", "participant", participant_id, after={"reason": reason})
    return True


async def lapse(conn: Connection, actor: Actor, participant_id: str, reason: str) -> int:
    """Return whatever balance is left to the state (a `lapse` entry, an audit row and a
    `participant.balance_lapsed` event for the programme); returns the amount."""
    balance = await ledger.balance_of(conn, participant_id)
    entry = money.lapse_entry(balance)
    if entry is None:
        return 0
    await ledger.post(conn, participant_id, entry)
    change = {"participant_id": participant_id, "lapsed": entry.amount, "balance": 0, "reason": reason}
    await audit.record(
        conn,
        actor,
        "participant.balance_lapsed",
        "participant",
        participant_id,
        before={"balance": balance},
        after=change,
    )
    await events.emit(conn, None, "participant.balance_lapsed", "participant", participant_id, change)
    return entry.amount


# One round trip: the participant locked, with every fact of domain.participants.programme_completed.
LOCK_COMPLETION_FACTS = """
SELECT p.status, p.scheme, p.accepted_at, b.balance,
       (SELECT count(*) FROM vouchers v WHERE v.participant_id = p.id AND v.status IN ('sold', 'redeemed'))
           AS open_trainings,
       (SELECT count(*) FROM enrollments e
          JOIN vouchers v ON v.code = e.voucher_code AND v.status = 'completed'
         WHERE e.participant_id = p.id AND e.status = 'completed'
           AND EXISTS (SELECT 1 FROM certificates x WHERE x.enrollment_id = e.id AND x.status = 'valid'))
           AS certified_trainings
  FROM participants p JOIN balances b ON b.participant_id = p.id
 WHERE p.id = $1
   FOR UPDATE OF p
"""
LAST_TRAINING = """
SELECT e.id, e.partner_id, e.voucher_code, p.name FROM enrollments e JOIN participants p ON p.id = e.participant_id
 WHERE e.participant_id = $1 AND e.status = 'completed'
 ORDER BY e.completed_at DESC, e.id DESC LIMIT 1
"""


async def complete_if_due(conn: Connection, actor: Actor, participant_id: str, now: datetime) -> bool:
    """Move the participant to `completed` if the scheme says the programme is over for them; True if it did.

    Called by every transaction that can make it true (an enrollment completed, a certificate issued, a balance
    lapsed, a participant unfrozen), after its own writes. A balance still held past the deadline lapses first,
    so a completed participant holds nothing. Writes an audit row, a `participant.completed` event for the
    programme and one for the partner of the last completed training (the participant masked).
    """
    row = await conn.fetchrow(LOCK_COMPLETION_FACTS, participant_id)
    if row is None or row["status"] != rules.ParticipantStatus.ACTIVE:
        return False
    scheme = await schemes.scheme_by_code(conn, row["scheme"])
    facts = rules.CompletionFacts(
        status=rules.ParticipantStatus(row["status"]),
        accepted_at=row["accepted_at"],
        certified_trainings=row["certified_trainings"],
        open_trainings=row["open_trainings"],
        balance=row["balance"],
    )
    if not rules.programme_completed(facts, scheme, now):
        return False
    if facts.balance > 0:
        await lapse(conn, actor, participant_id, "balance deadline")
    target = rules.complete(facts.status)
    await conn.execute(UPDATE_STATUS, participant_id, target.value)
    change = {
        "participant_id": participant_id,
        "status": target.value,
        "scheme": scheme.code,
        "certified_trainings": facts.certified_trainings,
        "completed_at": now,
    }
    await audit.record(
        conn,
        actor,
        "participant.completed",
        "participant",
        participant_id,
        before={"status": facts.status.value},
        after=change,
    )
    await events.emit(conn, None, "participant.completed", "participant", participant_id, change)
    last = await conn.fetchrow(LAST_TRAINING, participant_id)
    if last is not None:
        seen_by_partner = {
            "status": target.value,
            "enrollment_id": last["id"],
            "voucher_code": last["voucher_code"],
            "participant": {"name_masked": rules.mask_name(last["name"])},
        }
        await events.emit(conn, last["partner_id"], "participant.completed", "enrollment", last["id"], seen_by_partner)
    return True
