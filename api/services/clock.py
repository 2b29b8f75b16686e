"""The time rules run on. Production reads the wall clock; a sandbox partner's requests read its test clock.

Time reaches the domain only as the `now` argument, so the test clock needs no special case in any rule:
the edge asks the Clock for the partner's now and passes it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar.di import Provide

from api.auth.access import Principal, provide_partner_id
from api.http.dependencies import Connection

SELECT_OFFSET = "SELECT offset_seconds FROM sandbox_clocks WHERE partner_id = $1"
ADVANCE = """
INSERT INTO sandbox_clocks AS k (partner_id, offset_seconds) VALUES ($1, $2)
ON CONFLICT (partner_id) DO UPDATE SET offset_seconds = k.offset_seconds + $2, updated_at = now()
RETURNING offset_seconds
"""


def wall_clock() -> datetime:
    """Now, in UTC: the one place outside tests that reads the system clock for rules."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Clock:
    """Each sandbox partner's clock is the wall clock plus an offset it can only move forward."""

    sandbox: bool

    async def offset(self, conn: Connection, partner_id: str | None) -> timedelta:
        if not self.sandbox or partner_id is None:
            return timedelta()
        seconds = await conn.fetchval(SELECT_OFFSET, partner_id)
        return timedelta(seconds=seconds or 0)

    async def now(self, conn: Connection, partner_id: str | None) -> datetime:
        """Now as `partner_id` experiences it (the wall clock outside the sandbox)."""
        return wall_clock() + await self.offset(conn, partner_id)

    async def advance(self, conn: Connection, partner_id: str, seconds: int) -> datetime:
        """Move the partner's test clock forward and return its new now."""
        total = await conn.fetchval(ADVANCE, partner_id, seconds)
        return wall_clock() + timedelta(seconds=total)


async def provide_now(tx: Connection, clock: Clock, principal: Principal) -> datetime:
    """The `now` dependency of a write: the caller's now, read on the request's transaction."""
    return await clock.now(tx, principal.partner_id)


async def provide_read_now(conn: Connection, clock: Clock, principal: Principal) -> datetime:
    """The `now` dependency of a read: the caller's now, read on the request's connection."""
    return await clock.now(conn, principal.partner_id)


PARTNER_CONTEXT = {
    "partner_id": Provide(provide_partner_id, sync_to_thread=False),
    "now": Provide(provide_now),
}
"""Dependencies of a partner controller: `partner_id` (its caller's partner) and `now` (its caller's clock)."""
READ_NOW = {"now": Provide(provide_read_now)}
"""The `now` of a read handler that uses `conn` rather than `tx` (a second connection would be wasted)."""
