"""Partner statements: lines written by redemptions and clawbacks, period closes, payments, payout files.

The rules (periods in Asia/Jakarta, transitions, totals, carry-forward) are in domain/statements.py. The SQL function
`open_statement_for` (migrations/0015_statements.sql) picks the open statement a new line goes on, holding a shared
advisory lock on its period until the writer commits; closing a period takes that lock exclusively. So a close waits
for in-flight redemptions, writers never wait for each other, and no line lands on a frozen statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from api.http.csv_export import csv_text, iso
from api.http.dependencies import Connection
from api.http.pagination import decode_cursor, encode_cursor
from api.schemas.common import Page
from api.schemas.statements import (
    BankAccount,
    PartnerBankAccount,
    PeriodClosure,
    ProgrammeStatement,
    Statement,
    StatementLine,
)
from api.services import audit, events
from api.services.audit import Actor
from domain import statements as rules
from domain.errors import FieldProblem, NotFound, ValidationFailed

# --- the writes other services call (one money path: redemption and clawback only) -------------------------------

INSERT_PAYABLE_LINE = """
INSERT INTO statement_lines (statement_id, partner_id, kind, voucher_code, amount, created_at)
VALUES (open_statement_for($1, $4), $1, 'payable', $2, $3, $5)
"""
"""Arguments: partner id, voucher code, price, the period of the redemption (rules.period_of), the redemption's now.

A line's `created_at` is the now its period was taken from (a sandbox partner's test clock), never SQL's now()."""
INSERT_CLAWBACK_LINE = """
INSERT INTO statement_lines (statement_id, partner_id, kind, voucher_code, amount, created_at)
SELECT open_statement_for(l.partner_id, $2), l.partner_id, 'clawback', l.voucher_code, -l.amount, $3
  FROM statement_lines l
 WHERE l.voucher_code = $1 AND l.kind = 'payable'
   AND NOT EXISTS (SELECT 1 FROM statement_lines c WHERE c.voucher_code = $1 AND c.kind = 'clawback')
ON CONFLICT (voucher_code) WHERE kind = 'clawback' DO NOTHING
"""


async def claw_back(conn: Connection, voucher_code: str, now: datetime) -> None:
    """Take back what a voucher's redemption made payable, once, on its partner's current open statement.

    Nothing happens for a voucher that was never redeemed or is already clawed back; the payable line stays as it is.
    """
    await conn.execute(INSERT_CLAWBACK_LINE, voucher_code, rules.period_of(now), now)


INSERT_CARRIED_FORWARD = """
INSERT INTO statement_lines (statement_id, partner_id, kind, amount, created_at)
VALUES ($1, $2, 'carried_forward', $3, $4)
"""
INSERT_CARRIED_FORWARD_TO_NEXT = """
INSERT INTO statement_lines (statement_id, partner_id, kind, amount, created_at)
VALUES (open_statement_for($1, $2), $1, 'carried_forward', $3, $4)
"""

# --- reads --------------------------------------------------------------------------------------------------------

# Open statements sum their lines when read; closed ones show their frozen figures.
STATEMENT_COLUMNS = """
s.id, s.partner_id, s.period, s.status, s.closed_at, s.paid_at, s.payment_reference,
coalesce(s.total_payable, t.total_payable, 0) AS total_payable,
coalesce(s.total_clawed_back, t.total_clawed_back, 0) AS total_clawed_back,
coalesce(s.total_carried_forward, t.total_carried_forward, 0) AS total_carried_forward,
coalesce(s.line_count, t.line_count, 0) AS line_count
"""
STATEMENT_FROM = """
FROM statements s
LEFT JOIN LATERAL (
    SELECT sum(l.amount) FILTER (WHERE l.kind = 'payable')::bigint AS total_payable,
           (-sum(l.amount) FILTER (WHERE l.kind = 'clawback'))::bigint AS total_clawed_back,
           sum(l.amount) FILTER (WHERE l.kind = 'carried_forward')::bigint AS total_carried_forward,
           count(*)::integer AS line_count
      FROM statement_lines l
     WHERE l.statement_id = s.id AND s.status = 'open'
) t ON true
"""
# Statements sort by (period, id); the cursor carries the period's first instant and the id.
LIST_STATEMENTS = f"""
SELECT {STATEMENT_COLUMNS} {STATEMENT_FROM}
 WHERE ($1::text IS NULL OR s.partner_id = $1)
   AND ($2::text IS NULL OR s.period = $2)
   AND ($3::text IS NULL OR s.status = $3)
   AND ($4::text IS NULL OR (s.period, s.id) > ($4, $5::text))
 ORDER BY s.period, s.id
 LIMIT $6
"""
SELECT_PARTNER_STATEMENT = f"SELECT {STATEMENT_COLUMNS} {STATEMENT_FROM} WHERE s.partner_id = $1 AND s.period = $2"
SELECT_STATEMENT = f"SELECT {STATEMENT_COLUMNS} {STATEMENT_FROM} WHERE s.id = $1"
SELECT_LINES = """
SELECT l.id, l.kind, l.voucher_code, v.course_id, l.amount, l.created_at
  FROM statement_lines l LEFT JOIN vouchers v ON v.code = l.voucher_code
 WHERE l.statement_id = $1 AND l.id > $2
 ORDER BY l.id
 LIMIT $3
"""

# --- closing and paying ---------------------------------------------------------------------------------------------

LOCK_PERIOD = "SELECT pg_advisory_xact_lock(statement_period_lock_key($1))"
PERIOD_CLOSED = "SELECT closed_at FROM statement_periods WHERE period = $1"
RECORD_PERIOD_CLOSED = """
INSERT INTO statement_periods (period, closed_at, closed_by) VALUES ($1, $2, $3)
ON CONFLICT (period) DO NOTHING RETURNING closed_at
"""
LOCK_OPEN_STATEMENTS = """
SELECT id, partner_id, period, status FROM statements WHERE period = $1 AND status = 'open' ORDER BY partner_id
   FOR UPDATE
"""
LOCK_PARTNER_STATEMENT = (
    "SELECT id, partner_id, period, status FROM statements WHERE partner_id = $1 AND period = $2 FOR UPDATE"
)
LINE_SUMS = """
SELECT kind, sum(amount)::bigint AS amount, count(*) AS lines FROM statement_lines WHERE statement_id = $1 GROUP BY kind
"""
FREEZE = """
UPDATE statements
   SET status = 'closed', closed_at = $2, total_payable = $3, total_clawed_back = $4, total_carried_forward = $5,
       net = $6, line_count = $7
 WHERE id = $1 AND status = 'open'
"""
LOCK_STATEMENT = "SELECT id, partner_id, status, payment_reference FROM statements WHERE id = $1 FOR UPDATE"
MARK_PAID = "UPDATE statements SET status = 'paid', paid_at = $2, payment_reference = $3 WHERE id = $1"

PAYOUTS = """
SELECT s.id, s.partner_id, p.name AS partner_name, p.bank_name, p.bank_account_number, p.bank_account_name,
       s.period, s.net
  FROM statements s JOIN partners p ON p.id = s.partner_id
 WHERE s.status = 'closed' AND s.net > 0 AND ($1::text IS NULL OR s.period = $1)
 ORDER BY s.period, s.partner_id
"""
SET_BANK_ACCOUNT = """
UPDATE partners SET bank_name = $2, bank_account_number = $3, bank_account_name = $4, updated_at = now()
 WHERE id = $1
RETURNING id
"""


def _statement(row: asyncpg.Record | dict[str, Any]) -> Statement:
    totals = rules.Totals(
        total_payable=row["total_payable"],
        total_clawed_back=row["total_clawed_back"],
        total_carried_forward=row["total_carried_forward"],
        line_count=row["line_count"],
    )
    return Statement(
        period=row["period"],
        status=row["status"],
        total_payable=totals.total_payable,
        total_clawed_back=totals.total_clawed_back,
        total_carried_forward=totals.total_carried_forward,
        net=totals.net,
        line_count=totals.line_count,
        period_starts_at=rules.period_starts_at(row["period"]),
        period_ends_at=rules.period_ends_at(row["period"]),
        closed_at=row["closed_at"],
        paid_at=row["paid_at"],
        payment_reference=row["payment_reference"],
    )


def _programme_statement(row: asyncpg.Record | dict[str, Any]) -> ProgrammeStatement:
    return ProgrammeStatement(**msgspec.structs.asdict(_statement(row)), id=row["id"], partner_id=row["partner_id"])


def _statement_cursor(cursor: str | None) -> tuple[str | None, str | None]:
    decoded = decode_cursor(cursor)
    if decoded is None:
        return None, None
    at, statement_id = decoded
    return rules.period_of(at), statement_id


def _line_cursor(cursor: str | None) -> int:
    decoded = decode_cursor(cursor)
    if decoded is None:
        return 0
    try:
        return int(decoded[1])
    except ValueError:
        raise ValidationFailed(
            "The cursor is not one this API returned.", problems=(FieldProblem("cursor", "invalid cursor"),)
        ) from None


async def _list(
    conn: Connection,
    partner_id: str | None,
    period: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[asyncpg.Record], str | None]:
    after_period, after_id = _statement_cursor(cursor)
    rows = await conn.fetch(LIST_STATEMENTS, partner_id, period, status, after_period, after_id, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rules.period_starts_at(rows[-1]["period"]), rows[-1]["id"]) if more else None
    return rows, next_cursor


# --- partner side ---------------------------------------------------------------------------------------------------


async def list_for_partner(
    conn: Connection, partner_id: str, status: str | None, limit: int, cursor: str | None
) -> Page[Statement]:
    """The partner's statements, oldest period first."""
    rows, next_cursor = await _list(conn, partner_id, None, status, limit, cursor)
    return Page(items=[_statement(r) for r in rows], next_cursor=next_cursor)


async def _partner_statement(conn: Connection, partner_id: str, period: str) -> asyncpg.Record:
    row = await conn.fetchrow(SELECT_PARTNER_STATEMENT, partner_id, rules.parse_period(period))
    if row is None:
        raise NotFound("You have no statement for this period.")
    return row


async def get_for_partner(conn: Connection, partner_id: str, period: str) -> Statement:
    """One of the partner's statements; a period without one is 404."""
    return _statement(await _partner_statement(conn, partner_id, period))


async def lines_for_partner(
    conn: Connection, partner_id: str, period: str, limit: int, cursor: str | None
) -> Page[StatementLine]:
    """A page of the statement's lines in the order they were written."""
    statement = await _partner_statement(conn, partner_id, period)
    rows = await conn.fetch(SELECT_LINES, statement["id"], _line_cursor(cursor), limit + 1)
    more = len(rows) > limit
    lines = [_line(r) for r in rows[:limit]]
    next_cursor = encode_cursor(lines[-1].created_at, lines[-1].id) if more else None
    return Page(items=lines, next_cursor=next_cursor)


async def all_lines_for_partner(conn: Connection, partner_id: str, period: str) -> list[StatementLine]:
    """Every line of the statement (for the CSV export), fetched in pages so no query is unbounded."""
    statement = await _partner_statement(conn, partner_id, period)
    lines: list[StatementLine] = []
    after = 0
    while True:
        rows = await conn.fetch(SELECT_LINES, statement["id"], after, 5000)
        lines.extend(_line(r) for r in rows)
        if len(rows) < 5000:
            return lines
        after = rows[-1]["id"]


def _line(row: asyncpg.Record) -> StatementLine:
    return StatementLine(
        id=str(row["id"]),
        kind=row["kind"],
        voucher_code=row["voucher_code"],
        course_id=row["course_id"],
        amount=row["amount"],
        created_at=row["created_at"],
    )


LINE_CSV_HEADER = ("line_id", "kind", "voucher_code", "course_id", "amount", "created_at")


def lines_csv(lines: Iterable[StatementLine]) -> str:
    """The lines as CSV (RFC 4180, header row, amounts in integer rupiah, times in UTC ISO 8601)."""
    return csv_text(
        LINE_CSV_HEADER,
        (
            (line.id, line.kind, line.voucher_code or "", line.course_id or "", line.amount, iso(line.created_at))
            for line in lines
        ),
    )


# --- programme side ---------------------------------------------------------------------------------------------


async def list_for_programme(
    conn: Connection,
    period: str | None,
    partner_id: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ProgrammeStatement]:
    """Statements across partners, by period then id, filtered."""
    if period is not None:
        rules.parse_period(period)
    rows, next_cursor = await _list(conn, partner_id, period, status, limit, cursor)
    return Page(items=[_programme_statement(r) for r in rows], next_cursor=next_cursor)


async def _close_one(conn: Connection, actor: Actor, statement: asyncpg.Record, now: datetime) -> ProgrammeStatement:
    """Freeze one open (locked) statement, passing a negative net on to the partner's next open statement."""
    rules.check_can_close_statement(rules.StatementStatus(statement["status"]))
    sums = {
        rules.LineKind(r["kind"]): (int(r["amount"]), int(r["lines"]))
        for r in await conn.fetch(LINE_SUMS, statement["id"])
    }
    before = rules.totals_by_kind(sums)
    carry = rules.carry_forward(statement["period"], before.net)
    if carry is not None:
        await conn.execute(INSERT_CARRIED_FORWARD, statement["id"], statement["partner_id"], carry.amount, now)
        await conn.execute(INSERT_CARRIED_FORWARD_TO_NEXT, statement["partner_id"], carry.to_period, -carry.amount, now)
    frozen = rules.after_carry_forward(before, carry)
    await conn.execute(
        FREEZE,
        statement["id"],
        now,
        frozen.total_payable,
        frozen.total_clawed_back,
        frozen.total_carried_forward,
        frozen.net,
        frozen.line_count,
    )
    row = await conn.fetchrow(SELECT_STATEMENT, statement["id"])
    assert row is not None
    closed = _programme_statement(row)
    await audit.record(conn, actor, "statement.closed", "statement", closed.id, before={"status": "open"}, after=closed)
    await events.emit(conn, closed.partner_id, "statement.closed", "statement", closed.id, _statement(row))
    return closed


async def close_period(conn: Connection, actor: Actor, period: str, now: datetime) -> PeriodClosure:
    """Close every open statement of an ended period at once; a period closes once (409 after that)."""
    rules.parse_period(period)
    rules.check_can_close(period, now, already_closed=await conn.fetchval(PERIOD_CLOSED, period) is not None)
    # Waits for redemptions and clawbacks still writing lines of this period; later ones see it closed.
    await conn.execute(LOCK_PERIOD, period)
    closed_at = await conn.fetchval(RECORD_PERIOD_CLOSED, period, now, actor.id)
    if closed_at is None:
        rules.check_can_close(period, now, already_closed=True)
    closed = [await _close_one(conn, actor, s, now) for s in await conn.fetch(LOCK_OPEN_STATEMENTS, period)]
    await audit.record(conn, actor, "statement_period.closed", "statement_period", period, after={"count": len(closed)})
    return PeriodClosure(period=period, closed_at=now, statements=closed)


async def close_partner_statement(
    conn: Connection, actor: Actor, partner_id: str, period: str, now: datetime
) -> Statement:
    """Sandbox: close one partner's statement of a period that ended on its test clock."""
    rules.parse_period(period)
    rules.check_can_close(period, now, already_closed=False)
    await conn.execute(LOCK_PERIOD, period)
    statement = await conn.fetchrow(LOCK_PARTNER_STATEMENT, partner_id, period)
    if statement is None:
        raise NotFound("You have no statement for this period.")
    closed = await _close_one(conn, actor, statement, now)
    return Statement(**{f: getattr(closed, f) for f in Statement.__struct_fields__})


async def get_for_programme(conn: Connection, statement_id: str) -> ProgrammeStatement:
    row = await conn.fetchrow(SELECT_STATEMENT, statement_id)
    if row is None:
        raise NotFound("No statement has this id.")
    return _programme_statement(row)


async def mark_paid(
    conn: Connection, actor: Actor, statement_id: str, reference: str, now: datetime
) -> ProgrammeStatement:
    """Record the payment of a closed statement; the same reference again changes nothing, another is refused."""
    statement = await conn.fetchrow(LOCK_STATEMENT, statement_id)
    if statement is None:
        raise NotFound("No statement has this id.")
    changes = rules.check_can_mark_paid(
        rules.StatementStatus(statement["status"]), statement["payment_reference"], reference
    )
    if changes:
        await conn.execute(MARK_PAID, statement_id, now, reference)
    paid = await get_for_programme(conn, statement_id)
    if changes:
        await audit.record(
            conn, actor, "statement.paid", "statement", statement_id, before={"status": statement["status"]}, after=paid
        )
        await events.emit(conn, paid.partner_id, "statement.paid", "statement", statement_id, _statement_view(paid))
    return paid


def _statement_view(statement: ProgrammeStatement) -> Statement:
    return Statement(**{f: getattr(statement, f) for f in Statement.__struct_fields__})


PAYOUT_CSV_HEADER = (
    "statement_id",
    "partner_id",
    "partner_name",
    "period",
    "bank_name",
    "bank_account_number",
    "bank_account_name",
    "amount",
)


async def payouts_csv(conn: Connection, period: str | None) -> str:
    """The disbursement file: every closed, unpaid statement with something to pay, and where to pay it."""
    if period is not None:
        rules.parse_period(period)
    rows = await conn.fetch(PAYOUTS, period)
    return csv_text(
        PAYOUT_CSV_HEADER,
        (
            (
                r["id"],
                r["partner_id"],
                r["partner_name"],
                r["period"],
                r["bank_name"] or "",
                r["bank_account_number"] or "",
                r["bank_account_name"] or "",
                r["net"],
            )
            for r in rows
        ),
    )


async def set_bank_account(conn: Connection, actor: Actor, partner_id: str, body: BankAccount) -> PartnerBankAccount:
    """Record where the partner's statements are paid (audited; the account number is not personal data)."""
    before = await conn.fetchrow(
        "SELECT bank_name, bank_account_number, bank_account_name FROM partners WHERE id = $1 FOR UPDATE", partner_id
    )
    if before is None:
        raise NotFound("No partner has this id.")
    await conn.execute(SET_BANK_ACCOUNT, partner_id, body.bank_name, body.account_number, body.account_name)
    account = PartnerBankAccount(
        partner_id=partner_id,
        bank_name=body.bank_name,
        account_number=body.account_number,
        account_name=body.account_name,
    )
    await audit.record(
        conn, actor, "partner.bank_account_set", "partner", partner_id, before=dict(before), after=account
    )
    return account
