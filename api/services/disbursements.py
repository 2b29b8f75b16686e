"""Incentive disbursement (Government-to-Person): payout accounts, transfers, batches per channel, results, surveys.

The rules are in domain/disbursements.py. The guarantee that nothing is paid twice is PostgreSQL's: the partial
unique index `disbursement_items_one_live_attempt` (migrations/0017_incentive_disbursements.sql) holds at most one
attempt per transfer that has not failed, so two batches made at once cannot both take a transfer (the second
one's insert waits for the first and then skips it) and a paid transfer is never batched again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from api.db.identifiers import new_id
from api.http.csv_export import csv_text
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.common import Page
from api.schemas.disbursements import (
    DisbursementBatch,
    DisbursementTransfer,
    PaidResult,
    PayoutAccount,
    PayoutAccountSet,
    SurveyIncentive,
    TransferResult,
)
from api.services import audit, events, schemes
from api.services.audit import Actor
from domain import disbursements as rules
from domain.errors import FieldProblem, InvalidStateTransition, NotFound, ValidationFailed

BATCH_LIMIT = 5000
"""The most transfers one batch takes; the rest wait for the next batch of the channel."""

# --- transfers, planned when eligibility is recorded -----------------------------------------------------------

INSERT_TRANSFER = """
INSERT INTO incentive_transfers (id, participant_id, sequence, amount, payable_from) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (participant_id, sequence) DO NOTHING
"""


async def plan_transfers(
    conn: Connection, participant_id: str, amount_per_payment: int, payments: int, eligible_at: datetime
) -> None:
    """Write the transfers of an incentive just recorded (one per payment of the participant's scheme)."""
    planned = rules.plan_transfers(amount_per_payment=amount_per_payment, payments=payments, eligible_at=eligible_at)
    await conn.executemany(
        INSERT_TRANSFER,
        [(new_id("itr"), participant_id, p.sequence, p.amount, p.payable_from) for p in planned],
    )


# --- payout accounts --------------------------------------------------------------------------------------------

LOCK_PARTICIPANT = "SELECT id FROM participants WHERE id = $1 FOR UPDATE"
CHANNEL_KIND = "SELECT kind FROM payment_channels WHERE code = $1"
SELECT_ACCOUNT = """
SELECT a.participant_id, a.channel, c.kind AS channel_kind, a.account_reference, a.updated_at
  FROM participant_payout_accounts a JOIN payment_channels c ON c.code = a.channel
 WHERE a.participant_id = $1
"""
UPSERT_ACCOUNT = """
INSERT INTO participant_payout_accounts (participant_id, channel, account_reference, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (participant_id) DO UPDATE
   SET channel = excluded.channel, account_reference = excluded.account_reference, updated_at = excluded.updated_at
"""


def _account(row: asyncpg.Record) -> PayoutAccount:
    return PayoutAccount(
        participant_id=row["participant_id"],
        channel=row["channel"],
        channel_kind=row["channel_kind"],
        account_reference_masked=rules.mask_account_reference(row["account_reference"]),
        updated_at=row["updated_at"],
    )


async def _channel_kind(conn: Connection, channel: str) -> rules.ChannelKind:
    kind = await conn.fetchval(CHANNEL_KIND, channel)
    if kind is None:
        # Channels are data (like courses): naming one that does not exist is a 404, as an unknown course is.
        raise NotFound(
            "There is no payment channel with this code.", problems=(FieldProblem("channel", "unknown channel"),)
        )
    return rules.ChannelKind(kind)


async def set_payout_account(
    conn: Connection, actor: Actor, participant_id: str, body: PayoutAccountSet, now: datetime
) -> PayoutAccount:
    """Record the channel and account the participant chose; the audit keeps only the masked reference."""
    if await conn.fetchrow(LOCK_PARTICIPANT, participant_id) is None:
        raise NotFound("No such participant.")
    kind = await _channel_kind(conn, body.channel)
    rules.check_account_reference(kind, body.account_reference)
    before = await conn.fetchrow(SELECT_ACCOUNT, participant_id)
    await conn.execute(UPSERT_ACCOUNT, participant_id, body.channel, body.account_reference, now)
    row = await conn.fetchrow(SELECT_ACCOUNT, participant_id)
    assert row is not None
    account = _account(row)
    await audit.record(
        conn,
        actor,
        "participant.payout_account_set",
        "participant",
        participant_id,
        before=_account(before) if before is not None else None,
        after=account,
    )
    return account


async def get_payout_account(conn: Connection, participant_id: str) -> PayoutAccount:
    row = await conn.fetchrow(SELECT_ACCOUNT, participant_id)
    if row is None:
        raise NotFound("The participant has no payout account.")
    return _account(row)


# --- batches ----------------------------------------------------------------------------------------------------

INSERT_BATCH = "INSERT INTO disbursement_batches (id, channel, created_at, created_by) VALUES ($1, $2, $3, $4)"
TAKE_PAYABLE = """
INSERT INTO disbursement_items (batch_id, transfer_id, channel, account_reference, amount)
SELECT $1, t.id, a.channel, a.account_reference, t.amount
  FROM incentive_transfers t
  JOIN participants p ON p.id = t.participant_id
  JOIN participant_payout_accounts a ON a.participant_id = t.participant_id
 WHERE a.channel = $2 AND t.payable_from <= $3 AND p.status = any($4::text[]) AND p.sandbox_partner_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM disbursement_items d WHERE d.transfer_id = t.id AND d.status <> 'failed')
 ORDER BY t.payable_from, t.id
 LIMIT $5
ON CONFLICT (transfer_id) WHERE status <> 'failed' DO NOTHING
RETURNING transfer_id, amount
"""
BATCH_COLUMNS = """
b.id, b.channel, b.status, b.created_at, b.completed_at,
t.transfer_count, t.total_amount, t.pending_count, t.paid_count, t.paid_amount, t.failed_count
"""
BATCH_FROM = """
FROM disbursement_batches b
CROSS JOIN LATERAL (
    SELECT count(*)::integer AS transfer_count, coalesce(sum(i.amount), 0)::bigint AS total_amount,
           (count(*) FILTER (WHERE i.status = 'pending'))::integer AS pending_count,
           (count(*) FILTER (WHERE i.status = 'paid'))::integer AS paid_count,
           (coalesce(sum(i.amount) FILTER (WHERE i.status = 'paid'), 0))::bigint AS paid_amount,
           (count(*) FILTER (WHERE i.status = 'failed'))::integer AS failed_count
      FROM disbursement_items i WHERE i.batch_id = b.id
) t
"""
SELECT_BATCH = f"SELECT {BATCH_COLUMNS} {BATCH_FROM} WHERE b.id = $1"
LIST_BATCHES = f"""
SELECT {BATCH_COLUMNS} {BATCH_FROM}
 WHERE ($1::text IS NULL OR b.channel = $1) AND ($2::text IS NULL OR b.status = $2)
   AND ($3::timestamptz IS NULL OR (b.created_at, b.id) > ($3, $4::text))
 ORDER BY b.created_at, b.id
 LIMIT $5
"""
SELECT_ITEMS = """
SELECT i.id, i.transfer_id, t.participant_id, p.programme_number, p.name, n.enrollment_id, n.eligible_at, t.sequence,
       i.amount, i.channel, i.account_reference, i.status, i.channel_reference, i.failure_reason, i.result_at
  FROM disbursement_items i
  JOIN incentive_transfers t ON t.id = i.transfer_id
  JOIN incentives n ON n.participant_id = t.participant_id
  JOIN participants p ON p.id = t.participant_id
 WHERE i.batch_id = $1 AND i.id > $2
 ORDER BY i.id
 LIMIT $3
"""
LOCK_BATCH = "SELECT id, status FROM disbursement_batches WHERE id = $1 FOR UPDATE"
LOCK_ITEMS = """
SELECT i.id, i.transfer_id, t.participant_id, i.amount, i.channel, i.status, i.channel_reference, i.failure_reason
  FROM disbursement_items i JOIN incentive_transfers t ON t.id = i.transfer_id
 WHERE i.batch_id = $1 AND i.transfer_id = any($2::text[])
 ORDER BY i.id
   FOR UPDATE OF i
"""
RECORD_RESULT = """
UPDATE disbursement_items SET status = $2, channel_reference = $3, failure_reason = $4, result_at = $5 WHERE id = $1
"""
PENDING = "SELECT count(*) FROM disbursement_items WHERE batch_id = $1 AND status = 'pending'"
COMPLETE_BATCH = "UPDATE disbursement_batches SET status = 'completed', completed_at = $2 WHERE id = $1"


def _batch(row: asyncpg.Record) -> DisbursementBatch:
    return DisbursementBatch(
        id=row["id"],
        channel=row["channel"],
        status=row["status"],
        transfer_count=row["transfer_count"],
        total_amount=row["total_amount"],
        pending_count=row["pending_count"],
        paid_count=row["paid_count"],
        paid_amount=row["paid_amount"],
        failed_count=row["failed_count"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
    )


def _transfer(row: asyncpg.Record) -> DisbursementTransfer:
    return DisbursementTransfer(
        transfer_id=row["transfer_id"],
        participant_id=row["participant_id"],
        programme_number=row["programme_number"],
        enrollment_id=row["enrollment_id"],
        eligible_at=row["eligible_at"],
        sequence=row["sequence"],
        amount=row["amount"],
        channel=row["channel"],
        account_reference_masked=rules.mask_account_reference(row["account_reference"]),
        status=row["status"],
        channel_reference=row["channel_reference"],
        failure_reason=row["failure_reason"],
        result_at=row["result_at"],
    )


async def get_batch(conn: Connection, batch_id: str) -> DisbursementBatch:
    row = await conn.fetchrow(SELECT_BATCH, batch_id)
    if row is None:
        raise NotFound("No disbursement batch has this id.")
    return _batch(row)


async def create_batch(conn: Connection, actor: Actor, channel: str, now: datetime) -> DisbursementBatch:
    """A batch of every transfer payable through `channel` now that no other batch holds (failed ones again).

    Each transfer taken is audited with the account it goes to, so every rupiah can be followed from eligibility
    (the incentive) through its batch to the channel's reference. Nothing to take is 409.
    """
    await _channel_kind(conn, channel)
    batch_id = new_id("dsb")
    await conn.execute(INSERT_BATCH, batch_id, channel, now, actor.id)
    taken = await conn.fetch(
        TAKE_PAYABLE, batch_id, channel, now, list(rules.PAYABLE_PARTICIPANT_STATUSES), BATCH_LIMIT
    )
    rules.check_batch_has_transfers(len(taken), channel)
    batch = await get_batch(conn, batch_id)
    await audit.record(conn, actor, "disbursement_batch.created", "disbursement_batch", batch_id, after=batch)
    await conn.executemany(
        audit.INSERT_AUDIT,
        [
            audit.arguments(
                actor,
                "incentive_transfer.batched",
                "incentive_transfer",
                r["transfer_id"],
                after={"batch_id": batch_id, "channel": channel, "amount": r["amount"]},
            )
            for r in taken
        ],
    )
    return batch


async def list_batches(
    conn: Connection, channel: str | None, status: str | None, limit: int, cursor: str | None
) -> Page[DisbursementBatch]:
    """Batches in the order they were made."""
    after = decode_cursor(cursor)
    rows = await conn.fetch(LIST_BATCHES, channel, status, *(after or (None, None)), limit + 1)
    items = [_batch(r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def _item_cursor(cursor: str | None) -> int:
    decoded = decode_cursor(cursor)
    if decoded is None:
        return 0
    try:
        return int(decoded[1])
    except ValueError:
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
        ) from None


async def transfers_of(conn: Connection, batch_id: str, limit: int, cursor: str | None) -> Page[DisbursementTransfer]:
    """A page of the batch's transfers in the order the batch took them."""
    await get_batch(conn, batch_id)
    rows = await conn.fetch(SELECT_ITEMS, batch_id, _item_cursor(cursor), limit + 1)
    items = [_transfer(r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor(rows[limit - 1]["eligible_at"], str(rows[limit - 1]["id"])) if len(rows) > limit else None
    )
    return Page(items=items, next_cursor=next_cursor)


BATCH_CSV_HEADER = (
    "transfer_id",
    "participant_id",
    "programme_number",
    "account_name",
    "channel",
    "account_reference",
    "amount",
    "sequence",
    "status",
    "channel_reference",
    "failure_reason",
)


async def batch_csv(conn: Connection, batch_id: str) -> str:
    """The file for the channel: each transfer with the full account reference (only here) and the name on it."""
    await get_batch(conn, batch_id)
    rows: list[asyncpg.Record] = []
    after = 0
    while True:
        page = await conn.fetch(SELECT_ITEMS, batch_id, after, 5000)
        rows.extend(page)
        if len(page) < 5000:
            break
        after = page[-1]["id"]
    return csv_text(BATCH_CSV_HEADER, _csv_rows(rows))


def _csv_rows(rows: Iterable[asyncpg.Record]) -> Iterable[Sequence[object]]:
    for r in rows:
        yield (
            r["transfer_id"],
            r["participant_id"],
            r["programme_number"],
            r["name"],
            r["channel"],
            r["account_reference"],
            r["amount"],
            r["sequence"],
            r["status"],
            r["channel_reference"] or "",
            r["failure_reason"] or "",
        )


def _results_by_transfer(results: Sequence[TransferResult]) -> dict[str, tuple[int, rules.Result]]:
    by_transfer: dict[str, tuple[int, rules.Result]] = {}
    for index, result in enumerate(results):
        if isinstance(result, PaidResult):
            wanted = rules.Result(status=rules.AttemptStatus.PAID, reference=result.reference, reason=None)
        else:
            wanted = rules.Result(status=rules.AttemptStatus.FAILED, reference=None, reason=result.reason)
        rules.check_result_shape(wanted, index)
        if result.transfer_id in by_transfer:
            raise ValidationFailed(
                "Each transfer appears once in a request.",
                problems=(FieldProblem(f"results[{index}].transfer_id", "repeated"),),
            )
        by_transfer[result.transfer_id] = (index, wanted)
    return by_transfer


async def record_results(
    conn: Connection, actor: Actor, batch_id: str, results: Sequence[TransferResult], now: datetime
) -> DisbursementBatch:
    """Record what the channel answered for transfers of the batch, all or nothing.

    A result is final: repeating it changes nothing, a different one is 409. When no transfer of the batch is
    pending any more, the batch is completed.
    """
    by_transfer = _results_by_transfer(results)
    batch = await conn.fetchrow(LOCK_BATCH, batch_id)
    if batch is None:
        raise NotFound("No disbursement batch has this id.")
    items = {r["transfer_id"]: r for r in await conn.fetch(LOCK_ITEMS, batch_id, list(by_transfer))}
    for transfer_id, (index, _) in by_transfer.items():
        if transfer_id not in items:
            raise ValidationFailed(
                "This transfer is not in the batch.",
                problems=(FieldProblem(f"results[{index}].transfer_id", "not in this batch"),),
            )
    for transfer_id, (_, wanted) in by_transfer.items():
        item = items[transfer_id]
        current = rules.AttemptStatus(item["status"])
        recorded = rules.Result(status=current, reference=item["channel_reference"], reason=item["failure_reason"])
        if rules.check_can_record(current, recorded, wanted):
            await _record_one(conn, actor, batch_id, item, wanted, now)
    if (
        batch["status"] == rules.BatchStatus.OPEN
        and rules.batch_status(await conn.fetchval(PENDING, batch_id)) is rules.BatchStatus.COMPLETED
    ):
        await conn.execute(COMPLETE_BATCH, batch_id, now)
        await audit.record(
            conn,
            actor,
            "disbursement_batch.completed",
            "disbursement_batch",
            batch_id,
            before={"status": "open"},
            after={"status": "completed"},
        )
    return await get_batch(conn, batch_id)


async def _record_one(
    conn: Connection, actor: Actor, batch_id: str, item: asyncpg.Record, result: rules.Result, now: datetime
) -> None:
    await conn.execute(RECORD_RESULT, item["id"], result.status.value, result.reference, result.reason, now)
    data: dict[str, Any] = {
        "batch_id": batch_id,
        "participant_id": item["participant_id"],
        "channel": item["channel"],
        "amount": item["amount"],
        "status": result.status.value,
        "channel_reference": result.reference,
        "failure_reason": result.reason,
        "result_at": now,
    }
    transfer_id = item["transfer_id"]
    action = f"incentive_transfer.{result.status.value}"
    await audit.record(conn, actor, action, "incentive_transfer", transfer_id, before={"status": "pending"}, after=data)
    if result.status is rules.AttemptStatus.PAID:
        await events.emit(conn, None, "participant.incentive_paid", "incentive_transfer", transfer_id, data)


# --- the survey incentive ----------------------------------------------------------------------------------------

PARTICIPANT_SCHEME = "SELECT scheme FROM participants WHERE id = $1"
INSERT_SURVEY = """
INSERT INTO survey_incentives (participant_id, survey, amount, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (participant_id, survey) DO NOTHING
RETURNING participant_id, survey, amount, recorded_at
"""
SELECT_SURVEYS = "SELECT participant_id, survey, amount, recorded_at FROM survey_incentives WHERE participant_id = $1"


def _survey(row: asyncpg.Record) -> SurveyIncentive:
    return SurveyIncentive(
        participant_id=row["participant_id"], survey=row["survey"], amount=row["amount"], recorded_at=row["recorded_at"]
    )


async def record_survey(
    conn: Connection, actor: Actor, participant_id: str, survey: int, now: datetime
) -> SurveyIncentive:
    """Record that the participant earned survey incentive `survey` of their scheme (once; again is 409)."""
    code = await conn.fetchval(PARTICIPANT_SCHEME, participant_id)
    if code is None:
        raise NotFound("No such participant.")
    amount = rules.survey_incentive_amount(await schemes.scheme_by_code(conn, code), survey)
    row = await conn.fetchrow(INSERT_SURVEY, participant_id, survey, amount, now, actor.id)
    if row is None:
        raise InvalidStateTransition(f"Survey incentive {survey} is already recorded for this participant.")
    recorded = _survey(row)
    await audit.record(
        conn, actor, "participant.survey_incentive_recorded", "participant", participant_id, after=recorded
    )
    return recorded


async def surveys_of(conn: Connection, participant_id: str) -> list[SurveyIncentive]:
    if await conn.fetchval(PARTICIPANT_SCHEME, participant_id) is None:
        raise NotFound("No such participant.")
    return sorted((_survey(r) for r in await conn.fetch(SELECT_SURVEYS, participant_id)), key=lambda s: s.survey)
