"""Per-client request quotas in fixed one-minute windows, held across every API process through PostgreSQL.

A process does not write to the database for each request: it leases a chunk of a client's quota for the
current window with one atomic statement (`LEASE`), then spends the lease in memory. The leases of all
processes in one window never add up to more than the quota, so however many processes serve a client, at most
the quota is accepted. Leased quota a process has not spent when the window ends is lost, which makes the limit
slightly conservative: a client spread over N processes may be refused up to N chunks (each at most 2% of the
quota, or 10 requests) before it made quota requests. Fixed windows also let a client spend a full quota at the
end of one window and another at the start of the next.

The quota comes from the client's `rate_limit_per_minute` (or the deployment's default), read by the lease
statement itself: a changed limit applies from the next lease on, with no per-request lookup and no claim in
the token that would keep an old limit alive for the token's lifetime.

Answers follow draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy: "per-client";q=6000;w=60` and
`RateLimit: "per-client";r=<remaining>;t=<seconds to the window's end>`, with `Retry-After`, on a refusal (429
`rate_limited`), and on a successful answer once at most half of the window's quota remains: that is when a
client has reason to slow down, and two more headers on every response cost the cheapest endpoints a few percent
of their throughput (measured with `make bench-auth`). `r` is this process's estimate: its unspent lease plus
what no process had leased when it last asked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from litestar.types import Message, Scope

from api.auth.single_flight import SingleFlight
from api.http.errors import ApiError

WINDOW_SECONDS = 60
MIN_LEASE = 10
LEASE_DIVISOR = 50  # a lease is 1/50 of the quota (at least MIN_LEASE), so a window costs each process ≤ 50 leases
MAX_TRACKED_CLIENTS = 50_000  # allowances kept per process and policy (the token policy sees any presented id)
POOL_SIZE = 2  # connections of the limiters' own pool (never one a request holds: no wait on a busy pool)
API_POLICY = "per-client"
TOKEN_POLICY = "token"  # noqa: S105 (a policy name, not a secret)
# Per caller address (api/http/client_address.py), checked by the guard before the body is read or a database
# connection taken: the endpoints that check secrets with Argon2, and every other public endpoint.
ADDRESS_TOKEN_POLICY = "token-address"  # noqa: S105 (a policy name, not a secret)
PUBLIC_POLICY = "public"
ADDRESS_POLICY_OPT = "address_policy"  # a route's `opt` key naming its per-address policy (None: unlimited)
SPENT = "rate_limit"  # scope state key: (limiter, allowance) of a request that spent quota

# `last_lease` carries the lease asked for in the proposed row and how much was granted in the stored one
# (RETURNING shows only new values, and what this lease got is the difference to the old `granted`).
LEASE = f"""
WITH asked AS (
    SELECT quota, least(quota, greatest({MIN_LEASE}, quota / {LEASE_DIVISOR})) AS lease
      FROM (SELECT coalesce(
                       CASE WHEN $5::boolean
                            THEN (SELECT rate_limit_per_minute FROM oauth_clients WHERE client_id = $1) END,
                       $4::integer) AS quota) AS configured
)
INSERT INTO rate_limit_windows AS w (client_id, policy, window_start, quota, granted, last_lease)
SELECT $1, $2, $3, quota, lease, lease FROM asked
ON CONFLICT (client_id, policy, window_start) DO UPDATE
   SET quota = excluded.quota,
       granted = greatest(w.granted, least(excluded.quota, w.granted + excluded.last_lease)),
       last_lease = greatest(w.granted, least(excluded.quota, w.granted + excluded.last_lease)) - w.granted
RETURNING quota, granted, last_lease
"""


@dataclass(frozen=True, slots=True)
class Policy:
    """One kind of quota: its name (in the headers and the table), default size, and whether clients override it."""

    name: str
    default_quota: int
    per_client: bool


@dataclass(slots=True)
class Allowance:
    """This process's share of one client's quota in one window."""

    window: int  # epoch seconds // WINDOW_SECONDS
    quota: int
    left: int = 0  # leased by this process, not yet spent
    unleased: int = 0  # the quota no process had leased when this one last asked
    exhausted: bool = False  # the whole quota is leased out: refuse without asking the database again
    leasing: SingleFlight = field(default_factory=SingleFlight)  # the lease in flight, shared by its waiters

    def seconds_to_reset(self, now: float) -> int:
        return max(1, math.ceil((self.window + 1) * WINDOW_SECONDS - now))


@dataclass
class RateLimiter:
    """One policy's quotas, as this process leased and spent them."""

    pool: asyncpg.Pool
    policy: Policy
    clock: Callable[[], float] = time.time
    allowances: dict[str, Allowance] = field(default_factory=dict)

    async def admit(self, scope: Scope, client_id: str) -> None:
        """Spend one request of `client_id`'s quota in the current window and note it for the response headers;
        `rate_limited` (429) when the window's quota is used up."""
        allowance = self.allowances.get(client_id)
        if allowance is not None and allowance.left > 0 and allowance.window == int(self.clock() // WINDOW_SECONDS):
            allowance.left -= 1  # the common case: no await, no database
        else:
            allowance = await self._take_after_lease(client_id, int(self.clock() // WINDOW_SECONDS))
        if (allowance.left + allowance.unleased) * 2 <= allowance.quota:
            scope["state"][SPENT] = (self, allowance)  # half the quota is gone: tell the client (see the docstring)

    async def _take_after_lease(self, client_id: str, window: int) -> Allowance:
        allowance = self.allowances.get(client_id)
        if allowance is None or allowance.window != window:
            allowance = Allowance(window=window, quota=self.policy.default_quota)
            self._remember(client_id, allowance)
        while allowance.left == 0 and not allowance.exhausted:
            # One lease at a time per client, and every request waiting meanwhile shares its outcome: they spend
            # what it brought, or all fail with it at once (a database that does not answer costs each request one
            # timeout, not one per request queued ahead of it).
            await allowance.leasing.run(lambda: self._lease(client_id, allowance))
        if allowance.left > 0:
            allowance.left -= 1
            return allowance
        raise self.refusal(allowance, self.clock())

    async def _lease(self, client_id: str, allowance: Allowance) -> None:
        window_start = datetime.fromtimestamp(allowance.window * WINDOW_SECONDS, UTC)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                LEASE, client_id, self.policy.name, window_start, self.policy.default_quota, self.policy.per_client
            )
        assert row is not None
        allowance.quota = row["quota"]
        allowance.left += row["last_lease"]
        allowance.unleased = max(0, row["quota"] - row["granted"])
        allowance.exhausted = allowance.unleased == 0

    def _remember(self, client_id: str, allowance: Allowance) -> None:
        if len(self.allowances) >= MAX_TRACKED_CLIENTS:
            for stale in [key for key, kept in self.allowances.items() if kept.window < allowance.window]:
                del self.allowances[stale]
            while len(self.allowances) >= MAX_TRACKED_CLIENTS:  # losing a lease only makes the limit stricter
                del self.allowances[next(iter(self.allowances))]
        self.allowances[client_id] = allowance

    def policy_header(self, allowance: Allowance) -> str:
        return f'"{self.policy.name}";q={allowance.quota};w={WINDOW_SECONDS}'

    def header_lines(self, allowance: Allowance, now: float) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
        """`RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers) after spending from `allowance`."""
        remaining = allowance.left + allowance.unleased
        reset = allowance.seconds_to_reset(now)
        return (
            (b"ratelimit-policy", self.policy_header(allowance).encode()),
            (b"ratelimit", f'"{self.policy.name}";r={remaining};t={reset}'.encode()),
        )

    def refusal(self, allowance: Allowance, now: float) -> ApiError:
        reset = allowance.seconds_to_reset(now)
        return ApiError(
            429,
            "rate_limited",
            f"This client may make {allowance.quota} such requests per minute; try again in {reset} s.",
            headers={
                "Retry-After": str(reset),
                "RateLimit-Policy": self.policy_header(allowance),
                "RateLimit": f'"{self.policy.name}";r=0;t={reset}',
            },
        )


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    """Before-send hook: the answer to a request that spent quota carries its `RateLimit` headers."""
    if message["type"] == "http.response.start":
        spent = scope["state"].get(SPENT)
        if spent is not None:
            limiter, allowance = spent
            message["headers"] = [*message.get("headers", ()), *limiter.header_lines(allowance, limiter.clock())]


DELETE_OLD_WINDOWS = f"""
DELETE FROM rate_limit_windows WHERE (client_id, policy, window_start) IN (
    SELECT client_id, policy, window_start FROM rate_limit_windows
     WHERE window_start < now() - interval '{WINDOW_SECONDS} seconds' - $1::interval
     ORDER BY window_start LIMIT $2
       FOR UPDATE SKIP LOCKED
)
"""
# Past windows are kept a little while for whoever investigates a 429.
WINDOW_RETENTION = timedelta(minutes=10)


async def delete_old_windows(conn: asyncpg.Connection, *, limit: int) -> int:
    """Forget at most `limit` windows that ended over ten minutes ago (wall-clock time, as the windows are)."""
    status = await conn.execute(DELETE_OLD_WINDOWS, WINDOW_RETENTION, limit)
    return int(status.split()[-1])
