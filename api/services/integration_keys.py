"""Integration keys of the compatibility layer: one `client_code` and HMAC `sign_key` per partner and environment.

The sign key is shown once, when issued or rotated. It is kept sealed (AES-GCM under the key-encryption key, as the
token signing keys are), because verifying a signature means computing the HMAC again. Rotating keeps the
client_code and lets the previous sign key work until the grace period ends, so a partner can deploy the new one
without downtime.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from api.auth.integration_signatures import sign_key_binding
from api.auth.signing_keys import seal
from api.http.dependencies import Connection
from api.schemas.compatibility import IntegrationKeyIssued
from api.services import audit
from api.services.audit import Actor
from domain import clients as client_rules
from domain.errors import EnvironmentNotServed, FieldProblem, NotFound, PartnerSuspended

# Issuing for a partner serialises on its row, so two concurrent first issues cannot both insert.
LOCK_PARTNER = "SELECT status FROM partners WHERE id = $1 FOR NO KEY UPDATE"
LOCK_KEY = """
SELECT client_code, sign_key_encrypted FROM integration_keys WHERE partner_id = $1 AND environment = $2 FOR UPDATE
"""
INSERT_KEY = """
INSERT INTO integration_keys (client_code, partner_id, environment, sign_key_encrypted) VALUES ($1, $2, $3, $4)
"""
ROTATE_KEY = """
UPDATE integration_keys
   SET previous_sign_key_encrypted = sign_key_encrypted, previous_sign_key_expires_at = $3,
       sign_key_encrypted = $2, updated_at = now()
 WHERE client_code = $1
"""


def new_client_code() -> str:
    """A client code: public (it travels in a header), unguessable all the same."""
    return f"icc_{secrets.token_hex(10)}"


def new_sign_key() -> str:
    """A sign key: 256 random bits as 64 hex characters (printable, as the incumbent's clients expect)."""
    return secrets.token_hex(32)


async def issue(
    conn: Connection,
    actor: Actor,
    kek: bytes,
    partner_id: str,
    environment: str,
    *,
    app_env: str,
    now: datetime,
    grace: timedelta,
) -> IntegrationKeyIssued:
    """The partner's client_code and a new sign_key for `environment`: issued the first time, rotated after that
    (the previous sign key keeps working until `now + grace`)."""
    env = client_rules.Environment(environment)
    if not client_rules.environment_accepted(app_env, env):
        raise EnvironmentNotServed(
            f"This deployment serves {app_env} keys only.",
            problems=(FieldProblem("environment", f"must match the deployment ({app_env})"),),
        )
    status = await conn.fetchval(LOCK_PARTNER, partner_id)
    if status is None:
        raise NotFound("No such partner.")
    if status != "active":
        raise PartnerSuspended("A suspended partner cannot be issued integration keys.")
    sign_key = new_sign_key()
    existing = await conn.fetchrow(LOCK_KEY, partner_id, env.value)
    previous_expires_at = None
    if existing is None:
        client_code = new_client_code()
        sealed = seal(kek, sign_key.encode(), sign_key_binding(client_code))
        await conn.execute(INSERT_KEY, client_code, partner_id, env.value, sealed)
        action = "integration_key.issued"
    else:
        client_code = existing["client_code"]
        previous_expires_at = now + grace
        sealed = seal(kek, sign_key.encode(), sign_key_binding(client_code))
        await conn.execute(ROTATE_KEY, client_code, sealed, previous_expires_at)
        action = "integration_key.rotated"
    issued = IntegrationKeyIssued(
        client_code=client_code,
        sign_key=sign_key,
        partner_id=partner_id,
        environment=env.value,
        previous_sign_key_expires_at=previous_expires_at,
    )
    # Never the sign key itself in the audit log.
    await audit.record(
        conn,
        actor,
        action,
        "integration_key",
        client_code,
        after={"partner_id": partner_id, "environment": env.value, "previous_sign_key_expires_at": previous_expires_at},
    )
    return issued
