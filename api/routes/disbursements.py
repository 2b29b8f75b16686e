"""Incentive disbursement, Government-to-Person: payout accounts (programme:participants), batches per payment
channel, their CSV and the channel's results (programme:finance), survey incentives recorded (programme:finance)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from api.auth.access import requires
from api.http.csv_export import CSV, csv_response, wants_csv
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_MONEY, PROGRAMME_PARTICIPANTS, csv_alternative
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, NumberedCursor
from api.http.responses import created
from api.schemas.common import Page
from api.schemas.disbursements import (
    DisbursementBatch,
    DisbursementCreate,
    DisbursementResults,
    DisbursementTransfer,
    PayoutAccount,
    PayoutAccountSet,
    SurveyIncentive,
    SurveyIncentiveCreate,
)
from api.services import disbursements
from api.services.audit import Actor
from api.services.clock import Clock
from domain.errors import InvalidStateTransition, NotFound

FINANCE = "programme:finance"
PARTICIPANTS = "programme:participants"
BATCHES = "/v1/programme/disbursements"


async def _batch_csv(conn: Connection, batch_id: str) -> Response[str]:
    return csv_response(await disbursements.batch_csv(conn, batch_id), f"disbursement-{batch_id}.csv")


class PayoutAccountController(Controller):
    path = "/v1/programme/participants/{participant_id:str}/payout-account"
    tags = [PROGRAMME_PARTICIPANTS]

    @put(
        "/",
        operation_id="setPayoutAccount",
        summary="Set where a participant's incentive is paid",
        **requires(PARTICIPANTS),
    )
    async def set_account(
        self, participant_id: str, data: PayoutAccountSet, tx: Connection, actor: Actor, clock: Clock
    ) -> PayoutAccount:
        """The payment channel the participant chose (a bank such as `bni`, or an e-wallet such as `ovo`) and
        their account there: a bank account number, or the e-wallet's mobile number. Responses mask it; the
        disbursement batch's CSV carries it whole."""
        return await disbursements.set_payout_account(tx, actor, participant_id, data, await clock.now(tx, None))

    @get(
        "/",
        operation_id="getPayoutAccount",
        summary="Show where a participant's incentive is paid",
        **requires(PARTICIPANTS),
    )
    async def show(self, participant_id: str, conn: Connection) -> PayoutAccount:
        """The channel and the masked account reference (404 if none was recorded)."""
        return await disbursements.get_payout_account(conn, participant_id)


class SurveyIncentiveController(Controller):
    path = "/v1/programme/participants/{participant_id:str}/survey-incentives"
    tags = [PROGRAMME_MONEY]

    @post(
        "/",
        operation_id="recordSurveyIncentive",
        summary="Record a survey incentive",
        **requires(FINANCE, errors=[InvalidStateTransition]),
    )
    async def record(
        self, participant_id: str, data: SurveyIncentiveCreate, tx: Connection, actor: Actor, clock: Clock
    ) -> Response[SurveyIncentive]:
        """The participant earned survey incentive `survey` of their scheme (2 x Rp 50,000 in scheme 2024). It
        is recorded, not paid by this system. Recording the same survey again is 409."""
        survey = await disbursements.record_survey(tx, actor, participant_id, data.survey, await clock.now(tx, None))
        return created(survey, f"/v1/programme/participants/{participant_id}/survey-incentives")

    @get("/", operation_id="listSurveyIncentives", summary="A participant's survey incentives", **requires(FINANCE))
    async def index(self, participant_id: str, conn: Connection) -> list[SurveyIncentive]:
        """Every survey incentive recorded for the participant, by survey number."""
        return await disbursements.surveys_of(conn, participant_id)


class DisbursementController(Controller):
    path = BATCHES
    tags = [PROGRAMME_MONEY]

    @post(
        "/",
        operation_id="createDisbursementBatch",
        summary="Make a disbursement batch for a channel",
        **requires(FINANCE, errors=[InvalidStateTransition, NotFound]),
    )
    async def create(
        self, data: DisbursementCreate, tx: Connection, actor: Actor, clock: Clock
    ) -> Response[DisbursementBatch]:
        """A batch of every incentive transfer payable now through the channel (participant active or completed,
        payout account on that channel) that no other batch holds; transfers that failed in an earlier batch are
        taken again. Two batches made at once never share a transfer. Nothing to pay is 409
        `invalid_state_transition`."""
        batch = await disbursements.create_batch(tx, actor, data.channel, await clock.now(tx, None))
        return created(batch, f"{BATCHES}/{batch.id}")

    @get("/", operation_id="listDisbursementBatches", summary="List disbursement batches", **requires(FINANCE))
    async def index(
        self,
        conn: Connection,
        channel: Annotated[str | None, Parameter(max_length=40, description="Only this channel.")] = None,
        status: Annotated[Literal["open", "completed"] | None, Parameter(description="Only this status.")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[DisbursementBatch]:
        """Batches in the order they were made, with counts and rupiah by result."""
        return await disbursements.list_batches(conn, channel, status, limit, cursor)

    @get(
        "/{batch_id:str}", operation_id="getDisbursementBatch", summary="Show a disbursement batch", **requires(FINANCE)
    )
    async def show(self, batch_id: str, conn: Connection) -> DisbursementBatch:
        """One batch: its channel, status and counts."""
        return await disbursements.get_batch(conn, batch_id)

    @get(
        "/{batch_id:str}/transfers",
        operation_id="listDisbursementTransfers",
        summary="List a batch's transfers",
        **csv_alternative(requires(FINANCE)),
    )
    async def transfers(
        self,
        request: Request[Any, Any, Any],
        batch_id: str,
        conn: Connection,
        limit: Limit = DEFAULT_LIMIT,
        cursor: NumberedCursor = None,
    ) -> Page[DisbursementTransfer] | Response[str]:
        """The batch's transfers (account references masked) with their results. With `Accept: text/csv` the
        answer is the file for the channel (as `/transfers.csv` gives)."""
        if wants_csv(request):
            return await _batch_csv(conn, batch_id)
        return await disbursements.transfers_of(conn, batch_id, limit, cursor)

    @get(
        "/{batch_id:str}/transfers.csv",
        operation_id="downloadDisbursementBatch",
        summary="Download a batch as CSV for its channel",
        media_type=CSV,
        **requires(FINANCE),
    )
    async def transfers_csv(self, batch_id: str, conn: Connection) -> Response[str]:
        """Every transfer of the batch: transfer_id, participant_id, programme_number, account_name, channel,
        account_reference (whole), amount, sequence, status, channel_reference, failure_reason."""
        return await _batch_csv(conn, batch_id)

    @post(
        "/{batch_id:str}/results",
        operation_id="recordDisbursementResults",
        summary="Record the channel's results",
        status_code=200,
        **requires(FINANCE, errors=[InvalidStateTransition]),
    )
    async def results(
        self, batch_id: str, data: DisbursementResults, tx: Connection, actor: Actor, clock: Clock
    ) -> DisbursementBatch:
        """Per transfer of the batch: `paid` with the channel's `reference`, or `failed` with a `reason` (a failed
        transfer goes into a later batch). All or nothing. The same result again answers 200 and changes nothing;
        a different result for a transfer that has one is 409 `invalid_state_transition`."""
        return await disbursements.record_results(tx, actor, batch_id, data.results, await clock.now(tx, None))
