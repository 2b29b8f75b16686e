"""Partners: onboarding, listing, suspension and reinstatement."""

from __future__ import annotations

import msgspec

from api.db.identifiers import new_id
from api.http.dependencies import Connection
from api.http.pagination import Keyset
from api.schemas.common import Page
from api.schemas.partners import Partner, PartnerCreate
from api.services import audit
from api.services.audit import Actor
from domain import partners as rules
from domain.errors import NotFound

PARTNER_COLUMNS = "id, name, kind, contact_email, status, created_at, updated_at"
INSERT_PARTNER = f"""
INSERT INTO partners (id, name, kind, contact_email) VALUES ($1, $2, $3, $4) RETURNING {PARTNER_COLUMNS}
"""
SELECT_PARTNER = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"
LOCK_PARTNER = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1 FOR UPDATE"
UPDATE_PARTNER_STATUS = f"""
UPDATE partners SET status = $2, updated_at = now() WHERE id = $1 RETURNING {PARTNER_COLUMNS}
"""
LIST_PARTNERS = f"""
SELECT {PARTNER_COLUMNS} FROM partners
 WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2))
 ORDER BY created_at, id
 LIMIT $3
"""


async def create_partner(conn: Connection, actor: Actor, body: PartnerCreate) -> Partner:
    row = await conn.fetchrow(INSERT_PARTNER, new_id("prt"), body.name.strip(), body.kind, body.contact_email)
    partner = msgspec.convert(dict(row), Partner) if row else None
    assert partner is not None
    await audit.record(conn, actor, "partner.created", "partner", partner.id, after=partner)
    return partner


async def get_partner(conn: Connection, partner_id: str) -> Partner:
    row = await conn.fetchrow(SELECT_PARTNER, partner_id)
    if row is None:
        raise NotFound("No such partner.")
    return msgspec.convert(dict(row), Partner)


async def list_partners(conn: Connection, limit: int, cursor: str | None) -> Page[Partner]:
    keyset = Keyset.of(cursor, limit)
    items = [msgspec.convert(dict(r), Partner) for r in await conn.fetch(LIST_PARTNERS, *keyset.arguments)]
    page, next_cursor = keyset.split(items, lambda item: (item.created_at, item.id))
    return Page(items=list(page), next_cursor=next_cursor)


async def change_status(conn: Connection, actor: Actor, partner_id: str, action: str, reason: str | None) -> Partner:
    """Suspend or reinstate a partner; suspension stops its tokens within the revocation cache's bound."""
    row = await conn.fetchrow(LOCK_PARTNER, partner_id)
    if row is None:
        raise NotFound("No such partner.")
    before = msgspec.convert(dict(row), Partner)
    target = rules.transition(rules.PartnerStatus(before.status), action)
    updated = await conn.fetchrow(UPDATE_PARTNER_STATUS, partner_id, target.value)
    after = msgspec.convert(dict(updated), Partner) if updated else before
    await audit.record(
        conn,
        actor,
        f"partner.{'suspended' if action == 'suspend' else 'reinstated'}",
        "partner",
        partner_id,
        before={"status": before.status},
        after={"status": after.status, "reason": reason},
    )
    return after
