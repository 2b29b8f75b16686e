"""`GET /v1/me`: who the presented token is, for debugging an integration."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

import msgspec
from litestar import get

from api.auth.access import VERIFIED_TOKEN_CACHE_SIZE, Principal, current_principal, requires
from api.http.openapi import PARTNER_ME
from api.schemas.common import PartnerId, described
from api.schemas.partners import ENVIRONMENT, EnvironmentName


class Me(msgspec.Struct, kw_only=True, frozen=True):
    """What the access token presented says about its holder."""

    client_id: Annotated[str, described("The OAuth client the token was issued to.")]
    partner_id: Annotated[PartnerId | None, described("The partner the client acts for; null for a programme client.")]
    environment: Annotated[EnvironmentName, ENVIRONMENT]
    scopes: Annotated[list[str], described("The scopes the token carries.")]
    token_id: Annotated[str, described("The token's id (its `jti`), for revocation and support.")]
    issued_at: Annotated[datetime, described("When the token was issued; RFC 3339 in UTC.")]
    expires_at: Annotated[datetime, described("When the token expires; ask for a new one before. RFC 3339 in UTC.")]
    staff_id: (
        Annotated[str, described("The staff member (`stf_…`) a portal token acts for; null otherwise.")] | None
    ) = None


@get("/v1/me", operation_id="getMe", tags=[PARTNER_ME], summary="Who am I", **requires())
async def me() -> Me:
    """The partner, client, environment, scopes and expiry of the access token (and the staff member it acts for,
    if any); needs no particular scope."""
    # The caller from the guard, not as the `principal` dependency or from a `request` argument: resolving either is
    # most of what this endpoint would cost beyond the guard (the benchmark's auth_overhead_ratio).
    return _me(current_principal())


@lru_cache(maxsize=VERIFIED_TOKEN_CACHE_SIZE)
def _me(principal: Principal) -> Me:
    """The answer for one verified token: a function of its claims alone, built once per token (a partner asks
    with the same token for up to 15 minutes)."""
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
