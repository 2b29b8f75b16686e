"""What the token endpoint knows of a client: its authentication facts, loaded by id (hashes included)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.http.dependencies import Connection
from domain import clients as rules

SELECT_CREDENTIALS = """
SELECT c.client_id, c.partner_id, c.environment, c.scopes, c.status, c.secret_hash,
       c.previous_secret_hash, c.previous_secret_expires_at, c.jwks, p.status AS partner_status
  FROM oauth_clients c LEFT JOIN partners p ON p.id = c.partner_id
 WHERE c.client_id = $1
"""


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """What the token endpoint needs to authenticate a client (hashes included; never serialized)."""

    client_id: str
    partner_id: str | None
    environment: rules.Environment
    scopes: tuple[str, ...]
    status: rules.ClientStatus
    secret_hash: str
    previous_secret_hash: str | None
    previous_secret_expires_at: datetime | None
    jwks: dict[str, Any] | None
    partner_status: str | None

    def previous_secret_valid(self, now: datetime) -> bool:
        return self.previous_secret_expires_at is not None and now < self.previous_secret_expires_at


async def credentials(conn: Connection, client_id: str) -> ClientCredentials | None:
    """The authentication facts of a client, or None for an unknown id."""
    row = await conn.fetchrow(SELECT_CREDENTIALS, client_id)
    if row is None:
        return None
    data = dict(row)
    return ClientCredentials(
        client_id=data["client_id"],
        partner_id=data["partner_id"],
        environment=rules.Environment(data["environment"]),
        scopes=tuple(data["scopes"]),
        status=rules.ClientStatus(data["status"]),
        secret_hash=data["secret_hash"],
        previous_secret_hash=data["previous_secret_hash"],
        previous_secret_expires_at=data["previous_secret_expires_at"],
        jwks=json.loads(data["jwks"]) if data["jwks"] else None,
        partner_status=data["partner_status"],
    )
