"""Programme reports (programme:audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from api.auth.access import requires
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_AUDIT
from api.schemas.reports import ReportSummary
from api.services import reports
from domain.errors import FieldProblem, ValidationFailed


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed("Times carry their UTC offset.", problems=(FieldProblem(name, "needs an offset"),))
    return value


class ReportController(Controller):
    path = "/v1/programme/reports"
    tags = [PROGRAMME_AUDIT]

    @get("/summary", operation_id="reportSummary", summary="Summary of a time range", **requires("programme:audit"))
    async def summary(
        self,
        conn: Connection,
        since: Annotated[datetime, QueryParameter(name="from", description="Start, included (with offset).")],
        until: Annotated[datetime, QueryParameter(name="to", description="End, excluded (with offset).")],
    ) -> ReportSummary:
        """Per scheme and in total, for what happened in [`from`, `to`): vouchers sold, redeemed, expired, voided,
        cancelled, fraudulent and clawed back (count and rupiah), completions, certificates, incentives that became
        due, and the money granted, spent, refunded and lapsed. Computed from the ledger, the statement lines and
        the audit trail, so it reconciles with them."""
        return await reports.summary(conn, _aware("from", since), _aware("to", until))
