"""Audit trail bodies: one row of the log, the filters of a search, the chain's verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec


class AuditEntry(msgspec.Struct, kw_only=True):
    """Who (`actor`: the client id or system job; `actor_type`), did what (`action`) to which entity, when, and the
    entity before and after (personal data and secrets are never recorded)."""

    id: str
    at: datetime
    actor: str | None
    actor_type: str
    partner_id: str | None
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    request_id: str | None


@dataclass(frozen=True, slots=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditVerification(msgspec.Struct, kw_only=True):
    """The hash chain recomputed from the rows as they are now. `first_invalid_id` names the first sealed row whose
    content (or seal) no longer matches; `head_hash` is the last seal's hash, worth publishing elsewhere."""

    valid: bool
    checked: int
    first_invalid_id: str | None
    head_hash: str
