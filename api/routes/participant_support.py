"""Programme support views of participants: search (by number, name, e-mail or exact NIK) and their vouchers."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.auth.access import requires
from api.auth.national_id import NationalIdHasher
from api.http.dependencies import Connection
from api.http.openapi import PROGRAMME_PARTICIPANTS
from api.schemas.participants import Participant
from api.services import participant_support
from api.services.participant_support import IncentiveStatus, ParticipantVoucher

SCOPE = "programme:participants"


class ParticipantSupportController(Controller):
    path = "/v1/programme/participant-search"
    tags = [PROGRAMME_PARTICIPANTS]

    @get("/", operation_id="searchParticipants", summary="Find participants", **requires(SCOPE))
    async def search(
        self,
        conn: Connection,
        nik_hasher: NationalIdHasher,
        q: Annotated[str | None, Parameter(max_length=200, description="Number, e-mail or name part")] = None,
        nik: Annotated[str | None, Parameter(pattern=r"^[0-9]{16}$", description="Exact NIK (16 digits)")] = None,
    ) -> list[Participant]:
        """Up to 20 participants whose programme number or e-mail equals `q` (any case), whose name contains
        `q`, or whose NIK is exactly `nik` (matched by its keyed hash; never returned)."""
        return await participant_support.search(conn, nik_hasher, q, nik)


class ParticipantVoucherListController(Controller):
    path = "/v1/programme/participants/{participant_id:str}/vouchers"
    tags = [PROGRAMME_PARTICIPANTS]

    @get("/", operation_id="listParticipantVouchers", summary="A participant's vouchers", **requires(SCOPE))
    async def index(self, participant_id: str, conn: Connection) -> list[ParticipantVoucher]:
        """Every voucher the participant bought, newest first: course, status, dates, and its training
        (enrollment status, sessions attended, assessment, completion) and certificate."""
        return await participant_support.vouchers_of(conn, participant_id)


class ParticipantIncentiveController(Controller):
    path = "/v1/programme/participants/{participant_id:str}/incentive"
    tags = [PROGRAMME_PARTICIPANTS]

    @get("/", operation_id="getParticipantIncentive", summary="A participant's incentive status", **requires(SCOPE))
    async def show(self, participant_id: str, conn: Connection) -> IncentiveStatus:
        """Whether the participant is eligible for the post-training incentive, and its terms."""
        return await participant_support.incentive_of(conn, participant_id)
