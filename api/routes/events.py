"""`GET /v1/events`: the partner's own events, oldest first, without gaps or repeats (see services/events.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter, QueryParameter

from api.auth.access import Principal, requires
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_EVENTS
from api.http.pagination import DEFAULT_LIMIT, EVENT_CURSOR_PATTERN, Limit
from api.services import events
from api.services.events import EventPage


@get(
    "/v1/events",
    operation_id="listEvents",
    tags=[PARTNER_EVENTS],
    summary="Walk the event feed",
    **requires("events:read"),
)
async def feed(
    conn: Connection,
    principal: Principal,
    after: Annotated[
        str | None,
        Parameter(pattern=EVENT_CURSOR_PATTERN, description="`next_cursor` of the previous page; absent: the start."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    event_type: Annotated[
        str | None, QueryParameter(name="type", max_length=64, description="Only events of this type.")
    ] = None,
) -> EventPage:
    """The caller's events after `after`, oldest first: `{items, next_cursor}`. `next_cursor` is never null;
    pass it back as `after` to continue (an empty page still gives the cursor to poll from). An event appears
    once its transaction committed and no older transaction is still open, so a walker never misses one."""
    return await events.feed(conn, principal.require_partner(), after, limit, event_type)
