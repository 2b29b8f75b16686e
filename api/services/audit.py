"""The audit trail: who did what to which entity, before and after, in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from api.auth.access import Principal
from api.http.dependencies import Connection

INSERT_AUDIT = """
INSERT INTO audit_log
    (actor_type, actor_id, partner_id, action, entity_type, entity_id, before, after, request_id, acting_client_id)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)
"""


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a change, as the audit log records it."""

    type: str
    id: str | None
    partner_id: str | None
    request_id: str | None
    # The client a staff member acted through (the portal), as the token's `act` claim named it.
    acting_client_id: str | None = None

    @classmethod
    def of(cls, principal: Principal, request_id: str) -> Actor:
        if principal.staff_id is not None:
            # A person acting through the portal client: the person is the author (the token's `act` names the client).
            return cls("staff", principal.staff_id, None, request_id, principal.client_id)
        kind = "programme_client" if principal.is_programme else "partner_client"
        return cls(kind, principal.client_id, principal.partner_id, request_id)

    @classmethod
    def system(cls, name: str, request_id: str | None = None) -> Actor:
        return cls("system", name, None, request_id)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return msgspec.json.encode(value, enc_hook=str).decode()


def arguments(
    actor: Actor, action: str, entity_type: str, entity_id: str, *, before: Any = None, after: Any = None
) -> tuple[Any, ...]:
    """The arguments of INSERT_AUDIT for one row; never pass secrets or tokens in `before`/`after`."""
    return (
        actor.type,
        actor.id,
        actor.partner_id,
        action,
        entity_type,
        entity_id,
        _json(before),
        _json(after),
        actor.request_id,
        actor.acting_client_id,
    )


async def record(
    conn: Connection,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row; never pass secrets or tokens in `before`/`after`."""
    await conn.execute(INSERT_AUDIT, *arguments(actor, action, entity_type, entity_id, before=before, after=after))
