"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated, Literal

import asyncpg
import msgspec
from litestar import get
from litestar.datastructures import State

from api.http.errors import RETRY_AFTER_SECONDS, ApiError
from api.http.openapi import PUBLIC_HEALTH

READINESS_TIMEOUT_SECONDS = 2.0


class HealthStatus(msgspec.Struct, kw_only=True):
    status: Annotated[Literal["ok"], msgspec.Meta(description="`ok`; otherwise the answer is a 503 problem.")]


# Probes come from the platform, often all from one address: never counted against a per-address limit.
UNLIMITED = {"address_policy": None}


@get("/health/live", operation_id="getLiveness", tags=[PUBLIC_HEALTH], summary="Liveness", opt=UNLIMITED)
async def live() -> HealthStatus:
    """The process is up and serving HTTP; it does not touch the database."""
    return HealthStatus(status="ok")


@get("/health/ready", operation_id="getReadiness", tags=[PUBLIC_HEALTH], summary="Readiness", opt=UNLIMITED)
async def ready(state: State) -> HealthStatus:
    """The database answers; 503 `service_unavailable` with `Retry-After` when it does not."""
    pool: asyncpg.Pool = state.pool
    try:
        await pool.fetchval("SELECT 1", timeout=READINESS_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise ApiError(
            503,
            "service_unavailable",
            "The database is not answering.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        ) from exc
    return HealthStatus(status="ok")
