"""Time-driven transitions: expire unredeemed vouchers, revoke participants who never bought, lapse balances; and
sealing the audit trail into its hash chain (api/services/audit.py seal_batch).

Safe with any number of workers at once: each batch claims its rows with FOR UPDATE SKIP LOCKED, re-checks
the rule under the lock, and commits on its own, so a million due vouchers never become one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from api.auth.integration_signatures import delete_expired_signatures
from api.auth.rate_limits import delete_old_windows
from api.http.dependencies import Connection
from api.http.idempotency import delete_expired
from api.services import audit, oauth, participants, schemes, vouchers
from api.services.audit import Actor
from api.services.clock import wall_clock
from domain.schemes import Scheme

log = logging.getLogger("api.jobs.worker")

WORKER = Actor.system("worker")
DUE_FOR_REVOCATION = """
SELECT p.id FROM participants p JOIN schemes s ON s.code = p.scheme
 WHERE p.status = 'active'
   AND p.accepted_at + make_interval(days => s.first_purchase_days) < $1
   AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.participant_id = p.id)
 ORDER BY p.accepted_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED
"""
IDEMPOTENCY_RETENTION = timedelta(hours=48)


@dataclass
class SweepReport:
    expired: int = 0
    revoked: int = 0
    lapsed: int = 0
    idempotency_keys_deleted: int = 0
    rate_limit_windows_deleted: int = 0
    token_endpoint_rows_deleted: int = 0
    integration_signatures_deleted: int = 0
    audit_rows_sealed: int = 0


async def _batches(pool: asyncpg.Pool, step: Callable[[Connection], Awaitable[int]], batch_size: int) -> int:
    """Run `step(conn) -> handled` in its own transaction until a batch comes back short."""
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            handled = await step(conn)
        total += handled
        if handled < batch_size:
            return total


async def sweep(
    pool: asyncpg.Pool,
    now: datetime,
    batch_size: int = 500,
    *,
    include_lapse: bool = True,
    test_clocks: bool = False,
    failure_window_seconds: int = 60,
) -> SweepReport:
    """One pass over every time-driven transition that is due at `now`."""
    report = SweepReport()

    async def expire(conn: Connection) -> int:
        return await vouchers.expire_due(conn, WORKER, now, batch_size, test_clocks=test_clocks)

    async def revoke(conn: Connection) -> int:
        ids = [r["id"] for r in await conn.fetch(DUE_FOR_REVOCATION, now, batch_size)]
        for participant_id in ids:
            await participants.revoke_and_lapse(conn, WORKER, participant_id, now)
        return len(ids)

    async def forget_keys(conn: Connection) -> int:
        return await delete_expired(conn, IDEMPOTENCY_RETENTION, limit=batch_size)

    report.expired = await _batches(pool, expire, batch_size)
    report.revoked = await _batches(pool, revoke, batch_size)
    if include_lapse:
        report.lapsed = await lapse_balances(pool, now, batch_size)
    report.idempotency_keys_deleted = await _batches(pool, forget_keys, batch_size)

    async def forget_windows(conn: Connection) -> int:
        return await delete_old_windows(conn, limit=batch_size)

    report.rate_limit_windows_deleted = await _batches(pool, forget_windows, batch_size)

    for table in oauth.STALE_ROWS:

        async def forget_stale(conn: Connection, table: str = table) -> int:
            return await oauth.delete_stale_rows(
                conn, table, limit=batch_size, failure_window_seconds=failure_window_seconds
            )

        report.token_endpoint_rows_deleted += await _batches(pool, forget_stale, batch_size)

    async def forget_signatures(conn: Connection) -> int:
        return await delete_expired_signatures(conn, limit=batch_size)

    report.integration_signatures_deleted = await _batches(pool, forget_signatures, batch_size)

    async def seal(conn: Connection) -> int:
        return await audit.seal_batch(conn, batch_size * 4)

    report.audit_rows_sealed = await _batches(pool, seal, batch_size * 4)
    return report


# The SQL pre-filter mirrors Scheme.balance_deadline so the scan skips what cannot be due; the scheme's rule
# (in Python) still decides every row it returns.
LAPSE_CANDIDATES = """
SELECT p.id, p.accepted_at, p.scheme FROM participants p
  JOIN balances b ON b.participant_id = p.id
  JOIN schemes s ON s.code = p.scheme
 WHERE b.balance > 0 AND p.status <> 'revoked' AND p.id > $2
   AND make_date(extract(year FROM p.accepted_at)::int, s.balance_deadline_month, s.balance_deadline_day)
       < $3::date - CASE WHEN p.accepted_at::date > make_date(extract(year FROM p.accepted_at)::int,
                                                             s.balance_deadline_month, s.balance_deadline_day)
                         THEN interval '1 year' ELSE interval '0' END
 ORDER BY p.id LIMIT $1
"""
LOCK_FOR_LAPSE = "SELECT id FROM participants WHERE id = $1 FOR UPDATE SKIP LOCKED"


async def lapse_balances(pool: asyncpg.Pool, now: datetime, batch_size: int) -> int:
    """Return to the state every balance whose scheme deadline has passed (the scheme's rule decides)."""
    lapsed = 0
    after = ""
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(LAPSE_CANDIDATES, batch_size, after, now.date())
            cache: dict[str, Scheme] = {}
            for row in rows:
                if row["scheme"] not in cache:
                    cache[row["scheme"]] = await schemes.scheme_by_code(conn, row["scheme"])
                if not cache[row["scheme"]].balance_lapsed(row["accepted_at"], now):
                    continue
                if await conn.fetchval(LOCK_FOR_LAPSE, row["id"]) is None:
                    continue
                if await participants.lapse(conn, WORKER, row["id"], "balance deadline"):
                    lapsed += 1
                # The lapse may be the last condition of the scheme's completion to come true.
                await participants.complete_if_due(conn, WORKER, row["id"], now)
        if len(rows) < batch_size:
            return lapsed
        after = rows[-1]["id"]


LAPSE_INTERVAL_SECONDS = 3600.0


async def run_forever(
    pool: asyncpg.Pool, interval_seconds: float = 5.0, *, test_clocks: bool = False, failure_window_seconds: int = 60
) -> None:
    """Sweep every `interval_seconds` until cancelled; a failed sweep is logged and retried next time.

    Balance deadlines are dates, so the (full) lapse scan runs once an hour, not every sweep.
    """
    last_lapse = float("-inf")
    while True:
        try:
            include_lapse = asyncio.get_running_loop().time() - last_lapse >= LAPSE_INTERVAL_SECONDS
            report = await sweep(
                pool,
                wall_clock(),
                include_lapse=include_lapse,
                test_clocks=test_clocks,
                failure_window_seconds=failure_window_seconds,
            )
            if include_lapse:
                last_lapse = asyncio.get_running_loop().time()
            if report.expired or report.revoked or report.lapsed:
                log.info(
                    "sweep",
                    extra={"fields": {"expired": report.expired, "revoked": report.revoked, "lapsed": report.lapsed}},
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker sweep failed")
        await asyncio.sleep(interval_seconds)
