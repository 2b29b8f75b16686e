"""The event outbox: one row per state change a partner or the programme may want to hear about."""

from __future__ import annotations

from typing import Any

import msgspec

from api.http.dependencies import Connection

INSERT_EVENT = """
INSERT INTO events (partner_id, type, entity_type, entity_id, data) VALUES ($1, $2, $3, $4, $5::jsonb)
"""


def arguments(partner_id: str | None, event_type: str, entity_type: str, entity_id: str, data: Any) -> tuple[Any, ...]:
    """The arguments of INSERT_EVENT for one event."""
    return partner_id, event_type, entity_type, entity_id, msgspec.json.encode(data, enc_hook=str).decode()


async def emit(
    conn: Connection, partner_id: str | None, event_type: str, entity_type: str, entity_id: str, data: Any
) -> None:
    """Record `event_type` with the resource after the change, in the caller's transaction."""
    await conn.execute(INSERT_EVENT, *arguments(partner_id, event_type, entity_type, entity_id, data))
