"""`GET /v1/me`: who the presented token is, for debugging an integration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, get

from api.auth.access import provide_principal, requires


class Me(msgspec.Struct, kw_only=True):
    client_id: str
    partner_id: str | None
    environment: str
    scopes: list[str]
    token_id: str
    issued_at: datetime
    expires_at: datetime
    staff_id: str | None = None


@get("/v1/me", operation_id="getMe", tags=["me"], summary="Who am I", **requires())
async def me(request: Request[Any, Any, Any]) -> Me:
    """The partner, client, environment, scopes and expiry of the access token (and the staff member it acts for,
    if any); needs no particular scope."""
    # The caller straight from the request, not as the `principal` dependency: resolving it is most of what this
    # endpoint would cost beyond the guard (the benchmark's auth_overhead_ratio).
    principal = provide_principal(request)
    return Me(
        client_id=principal.client_id,
        partner_id=principal.partner_id,
        environment=principal.environment,
        scopes=sorted(principal.scopes),
        token_id=principal.token_id,
        issued_at=datetime.fromtimestamp(principal.issued_at, UTC),
        expires_at=datetime.fromtimestamp(principal.expires_at, UTC),
        staff_id=principal.staff_id,
    )
