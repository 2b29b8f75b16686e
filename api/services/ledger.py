"""Money moves only here: one ledger entry and the guarded running balance, in the caller's transaction."""

from __future__ import annotations

import asyncpg

from api.http.dependencies import Connection
from domain.errors import InsufficientBalance
from domain.ledger import LedgerEntry

APPLY_TO_BALANCE = """
UPDATE balances SET balance = balance + $2, updated_at = now() WHERE participant_id = $1 RETURNING balance
"""
INSERT_ENTRY = """
INSERT INTO ledger_entries (participant_id, kind, amount, signed_amount, balance_after, voucher_code)
VALUES ($1, $2, $3, $4, $5, $6)
"""
OPEN_BALANCE = "INSERT INTO balances (participant_id, balance) VALUES ($1, 0)"
SELECT_BALANCE = "SELECT balance FROM balances WHERE participant_id = $1"


async def open_balance(conn: Connection, participant_id: str) -> None:
    await conn.execute(OPEN_BALANCE, participant_id)


async def post(conn: Connection, participant_id: str, entry: LedgerEntry) -> int:
    """Append `entry` and move the balance by it; returns the new balance.

    The balance row's CHECK (balance >= 0) is the last wall: even a caller that skipped the domain check
    cannot overdraw, it gets InsufficientBalance and the transaction rolls back.
    """
    try:
        balance = await conn.fetchval(APPLY_TO_BALANCE, participant_id, entry.signed_amount)
    except asyncpg.CheckViolationError as exc:
        raise InsufficientBalance("The balance does not cover this purchase.") from exc
    if balance is None:
        raise RuntimeError(f"participant {participant_id} has no balance row")
    await conn.execute(
        INSERT_ENTRY, participant_id, entry.kind.value, entry.amount, entry.signed_amount, balance, entry.voucher_code
    )
    return int(balance)


async def balance_of(conn: Connection, participant_id: str) -> int:
    return int(await conn.fetchval(SELECT_BALANCE, participant_id) or 0)
