"""The audit trail for programme staff (programme:audit): search it, and verify its hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter, QueryParameter

from api.auth.access import requires
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_AUDIT
from api.http.pagination import DEFAULT_LIMIT, Limit, NumberedCursor
from api.schemas.audit import AuditEntry, AuditFilters, AuditVerification
from api.schemas.common import Page
from api.services import audit
from domain.errors import FieldProblem, ValidationFailed

SCOPE = "programme:audit"
Text = Annotated[str | None, Parameter(max_length=200)]


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed("Times carry their UTC offset.", problems=(FieldProblem(name, "needs an offset"),))
    return value


class AuditController(Controller):
    path = "/v1/programme/audit"
    tags = [PROGRAMME_AUDIT]

    @get("/", operation_id="searchAuditLog", summary="Search the audit log", **requires(SCOPE))
    async def index(
        self,
        conn: Connection,
        entity_type: Text = None,
        entity_id: Text = None,
        # `actor` is also the name of the app's Actor dependency, so the query parameter is aliased.
        actor_id: Annotated[str | None, QueryParameter(name="actor", max_length=200)] = None,
        action: Text = None,
        since: Annotated[datetime | None, QueryParameter(name="from", description="At or after (with offset).")] = None,
        until: Annotated[datetime | None, QueryParameter(name="to", description="Before (with offset).")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: NumberedCursor = None,
    ) -> Page[AuditEntry]:
        """Every state change and money movement, newest first: actor, action, entity, before and after. Filter by
        entity (`entity_type`, `entity_id`), `actor` (a client id or system job), `action`, and a `from`/`to`
        time range."""
        filters = AuditFilters(
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor_id,
            action=action,
            since=_aware("from", since),
            until=_aware("to", until),
        )
        return await audit.list_entries(conn, filters, limit, cursor)

    @get("/verification", operation_id="verifyAuditLog", summary="Verify the audit chain", **requires(SCOPE))
    async def verification(self, conn: Connection) -> AuditVerification:
        """Recompute the hash chain the worker seals audit rows into, from the rows as they are now: `valid`, how
        many sealed rows were `checked`, and the `first_invalid_id` whose content no longer matches its seal."""
        return await audit.verify_chain(conn)
