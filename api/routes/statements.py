"""Statements: partners read their own (statements:read); the programme closes periods and pays (programme:finance).

Periods are calendar months in Asia/Jakarta (`2026-11`); a period that is not a month is 422, a partner's period
without a statement is 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from api.auth.access import Principal, requires
from api.http.csv_export import CSV, csv_response, wants_csv
from api.http.dependencies import Connection
from api.http.openapi import PARTNER_STATEMENTS, PROGRAMME_MONEY, csv_alternative
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, NumberedCursor
from api.schemas.common import Page
from api.schemas.statements import (
    BankAccount,
    MarkPaid,
    PartnerBankAccount,
    PeriodClosure,
    ProgrammeStatement,
    Statement,
    StatementLine,
)
from api.services import statements
from api.services.audit import Actor
from api.services.clock import Clock
from domain.errors import InvalidStateTransition
from domain.statements import PERIOD_PATTERN

FINANCE = "programme:finance"
StatusFilter = Annotated[
    Literal["open", "closed", "paid"] | None, Parameter(description="Only statements in this status.")
]
Period = Annotated[str, Parameter(pattern=PERIOD_PATTERN, description="A calendar month (`YYYY-MM`), 2000 to 8999.")]
PeriodFilter = Annotated[str | None, Parameter(pattern=PERIOD_PATTERN, description="Only this period (`YYYY-MM`).")]


async def _lines_csv(conn: Connection, partner_id: str, period: str) -> Response[str]:
    lines = await statements.all_lines_for_partner(conn, partner_id, period)
    return csv_response(statements.lines_csv(lines), f"statement-{period}.csv")


class StatementController(Controller):
    path = "/v1/statements"
    tags = [PARTNER_STATEMENTS]

    @get("/", operation_id="listStatements", summary="List my statements", **requires("statements:read"))
    async def index(
        self,
        conn: Connection,
        principal: Principal,
        status: StatusFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[Statement]:
        """Your monthly statements (calendar months in Asia/Jakarta), oldest first: status, totals, line count."""
        return await statements.list_for_partner(conn, principal.require_partner(), status, limit, cursor)

    @get("/{period:str}", operation_id="getStatement", summary="Show one statement", **requires("statements:read"))
    async def show(self, period: Period, conn: Connection, principal: Principal) -> Statement:
        """One month: an open statement's running totals, or a closed one's frozen totals."""
        return await statements.get_for_partner(conn, principal.require_partner(), period)

    @get(
        "/{period:str}/lines",
        operation_id="listStatementLines",
        summary="List a statement's lines",
        **csv_alternative(requires("statements:read")),
    )
    async def lines(
        self,
        request: Request[Any, Any, Any],
        period: Period,
        conn: Connection,
        principal: Principal,
        limit: Limit = DEFAULT_LIMIT,
        cursor: NumberedCursor = None,
    ) -> Page[StatementLine] | Response[str]:
        """The lines in the order they were written: `payable` (a redeemed voucher's price), `clawback` (negative:
        a redeemed voucher later cancelled or found fraudulent), `carried_forward`. With `Accept: text/csv` the
        answer is every line as CSV (as `/lines.csv` gives)."""
        partner_id = principal.require_partner()
        if wants_csv(request):
            return await _lines_csv(conn, partner_id, period)
        return await statements.lines_for_partner(conn, partner_id, period, limit, cursor)

    @get(
        "/{period:str}/lines.csv",
        operation_id="downloadStatementLines",
        summary="Download a statement's lines as CSV",
        media_type=CSV,
        **requires("statements:read"),
    )
    async def lines_csv(self, period: Period, conn: Connection, principal: Principal) -> Response[str]:
        """Every line of the statement as CSV: line_id, kind, voucher_code, course_id, amount, created_at."""
        return await _lines_csv(conn, principal.require_partner(), period)


class ProgrammeStatementController(Controller):
    path = "/v1/programme/statements"
    tags = [PROGRAMME_MONEY]

    @get("/", operation_id="listAllStatements", summary="List statements of every partner", **requires(FINANCE))
    async def index(
        self,
        conn: Connection,
        period: PeriodFilter = None,
        partner_id: Annotated[str | None, Parameter(max_length=100)] = None,
        status: StatusFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ProgrammeStatement]:
        """Statements by period then id, filtered by period, partner and status."""
        return await statements.list_for_programme(conn, period, partner_id, status, limit, cursor)

    @get(
        "/payouts.csv",
        operation_id="downloadStatementPayouts",
        summary="Download the disbursement file",
        media_type=CSV,
        **requires(FINANCE),
    )
    async def payouts(self, conn: Connection, period: PeriodFilter = None) -> Response[str]:
        """Every closed, unpaid statement with a positive net, with the partner's bank account: statement_id,
        partner_id, partner_name, period, bank_name, bank_account_number, bank_account_name, amount."""
        return csv_response(await statements.payouts_csv(conn, period), f"payouts-{period or 'all'}.csv")

    @post(
        "/{period:str}/close",
        operation_id="closeStatementPeriod",
        summary="Close a period",
        status_code=200,
        **requires(FINANCE, errors=[InvalidStateTransition]),
    )
    async def close(self, period: Period, tx: Connection, actor: Actor, clock: Clock) -> PeriodClosure:
        """Close every open statement of a month that has ended (Asia/Jakarta, on the programme's clock): totals
        freeze, a negative net is carried forward to the partner's next statement, and each partner gets a
        `statement.closed` event. A period closes once: again, or before it ended, is 409
        `invalid_state_transition`."""
        return await statements.close_period(tx, actor, period, await clock.now(tx, None))

    @post(
        "/{statement_id:str}/mark-paid",
        operation_id="markStatementPaid",
        summary="Record a statement's payment",
        status_code=200,
        **requires(FINANCE, errors=[InvalidStateTransition]),
    )
    async def mark_paid(
        self, statement_id: str, data: MarkPaid, tx: Connection, actor: Actor, clock: Clock
    ) -> ProgrammeStatement:
        """A closed statement becomes `paid` with the transfer's reference. The same reference again answers 200
        and changes nothing; another reference, or an open statement, is 409 `invalid_state_transition`."""
        return await statements.mark_paid(tx, actor, statement_id, data.reference, await clock.now(tx, None))


class PartnerBankAccountController(Controller):
    path = "/v1/programme/partners/{partner_id:str}/bank-account"
    tags = [PROGRAMME_MONEY]

    @put("/", operation_id="setPartnerBankAccount", summary="Set a partner's bank account", **requires(FINANCE))
    async def set_account(self, partner_id: str, data: BankAccount, tx: Connection, actor: Actor) -> PartnerBankAccount:
        """Where the partner's statement nets are transferred; it appears in the disbursement file."""
        return await statements.set_bank_account(tx, actor, partner_id, data)
