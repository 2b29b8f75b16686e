"""Audit trail bodies: one row of the log, the filters of a search, the chain's verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.schemas.common import described

ACTOR_TYPE = described(
    "Who acted: `partner_client`, `programme_client`, `staff` (through the portal), `system` (a job) or `public`."
)
ACTION = described("What was done, as `entity.verb` (e.g. `voucher.redeemed`, `course.approved`).")
BEFORE = described("The entity before the change (null for a creation); never personal data or secrets.")
AFTER = described("The entity after the change (may be null); never personal data or secrets.")
AT = described("When it happened; RFC 3339 in UTC.")


class AuditEntry(msgspec.Struct, kw_only=True):
    """Who (`actor`: the client id or system job; `actor_type`), did what (`action`) to which entity, when, and the
    entity before and after (personal data and secrets are never recorded)."""

    id: Annotated[str, described("The entry's id: entries are numbered in the order they were written.")]
    at: Annotated[datetime, AT]
    actor: Annotated[
        str | None, described("The client id, staff id or job name that acted; null when none is recorded.")
    ]
    actor_type: Annotated[str, ACTOR_TYPE]
    partner_id: Annotated[str | None, described("The partner the entity belongs to; null for programme entities.")]
    action: Annotated[str, ACTION]
    entity_type: Annotated[str, described("The kind of entity changed (`voucher`, `course`, `participant`…).")]
    entity_id: Annotated[str, described("The changed entity's id (a voucher's code).")]
    before: Annotated[Any, BEFORE]
    after: Annotated[Any, AFTER]
    request_id: Annotated[str | None, described("The `X-Request-Id` of the request that did it; null for jobs.")]


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

    valid: Annotated[bool, described("True when every sealed row still matches its seal.")]
    checked: Annotated[int, described("How many rows were checked.")]
    first_invalid_id: Annotated[str | None, described("The first row that no longer matches; null when `valid`.")]
    head_hash: Annotated[str, described("The hash of the last seal (hex): publish it to detect a rewrite later.")]
