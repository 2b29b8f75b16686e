"""Partner voucher endpoints: check, redeem (exactly once), void. A code of another partner is 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post

from api.auth.access import provide_principal, request_id, requires
from api.http.dependencies import Connection, transaction
from api.http.idempotency import Idempotency, IdempotencyKey
from api.http.openapi import PARTNER_VOUCHERS
from api.schemas.enrollments import Enrollment
from api.schemas.vouchers import Redeem, Voucher
from api.services import vouchers
from api.services.audit import Actor
from api.services.clock import PARTNER_CONTEXT, READ_NOW
from api.services.vouchers import CodeFormat
from domain.errors import (
    CourseNotOnSale,
    LearnerAlreadyEnrolled,
    ParticipantFrozen,
    ParticipantRevoked,
    RedemptionWindowClosed,
    VoucherAlreadyRedeemed,
    VoucherCancelled,
    VoucherExpired,
    VoucherFraudulent,
    VoucherVoidNotAllowed,
)


class VoucherController(Controller):
    path = "/v1/vouchers"
    tags = [PARTNER_VOUCHERS]
    dependencies = PARTNER_CONTEXT

    @get(
        "/{code:str}",
        operation_id="getVoucher",
        summary="Check a voucher",
        dependencies=READ_NOW,
        **requires("vouchers:read"),
    )
    async def show(self, code: str, conn: Connection, partner_id: str, codes: CodeFormat, now: datetime) -> Voucher:
        """Status, course, schedule, amount, expiry, the participant's masked name, and `allowed_actions` now.
        Codes are case-insensitive and may be typed with or without hyphens; a mistyped code (wrong check
        character) is 404 without any lookup, as is a code of another partner's course."""
        return await vouchers.get_for_partner(conn, partner_id, codes.parse(code), now)

    @post(
        "/{code:str}/redeem",
        operation_id="redeemVoucher",
        summary="Redeem a voucher",
        status_code=201,
        **requires(
            "vouchers:redeem",
            errors=[
                VoucherAlreadyRedeemed,
                VoucherExpired,
                VoucherCancelled,
                VoucherFraudulent,
                RedemptionWindowClosed,
                LearnerAlreadyEnrolled,
                ParticipantFrozen,
                ParticipantRevoked,
                CourseNotOnSale,
            ],
        ),
    )
    async def redeem(
        self, request: Request[Any, Any, Any], code: str, data: Redeem, idempotency_key: IdempotencyKey = None
    ) -> Response[Enrollment]:
        """Link the voucher to your learner account and start the enrollment (201). Exactly once: concurrent
        or retried calls produce one redemption; a retry with the same `Idempotency-Key` gets the same answer.
        Self-paced vouchers redeem until they expire; scheduled ones from 1 hour before to 1 hour after the
        schedule starts. Refusals: `voucher_already_redeemed`, `voucher_expired`, `voucher_cancelled`,
        `voucher_fraudulent`, `redemption_window_closed`, `learner_already_enrolled`, `participant_frozen`,
        `participant_revoked`, `course_not_on_sale` (each explained in docs/errors.md)."""
        # The busiest write takes nothing by dependency injection (`void` below shows the usual shape): its caller,
        # codes and clock come straight from the request and the app, and it opens the transaction the `tx`
        # dependency would (committed before the response is sent, as that one is). Resolving `tx` and
        # `idempotency` cost this endpoint ~18% of its CPU (bench/README.md).
        principal = provide_principal(request)
        actor = Actor.of(principal, request_id(request))
        partner_id = principal.require_partner()
        state = request.app.state
        canonical = state.codes.parse(code)
        async with transaction(state) as tx:
            idempotency = Idempotency(request, tx, principal.client_id, idempotency_key)
            now = await state.clock.now(tx, partner_id)
            return await idempotency.run(
                lambda: vouchers.redeem(tx, actor, partner_id, canonical, data.learner_ref, now),
                status_code=201,
                location=lambda enrollment: f"/v1/enrollments/{enrollment['id']}",
            )

    @post(
        "/{code:str}/void",
        operation_id="voidVoucher",
        summary="Void an unredeemed voucher",
        status_code=200,
        **requires("vouchers:redeem", errors=[VoucherVoidNotAllowed]),
    )
    async def void(
        self,
        code: str,
        tx: Connection,
        actor: Actor,
        partner_id: str,
        codes: CodeFormat,
        idempotency: Idempotency,
        now: datetime,
    ) -> Response[Voucher]:
        """Void a `sold` voucher of your course; the participant's balance is refunded at the purchase price.
        A redeemed voucher cannot be voided (`voucher_void_not_allowed`)."""
        canonical = codes.parse(code)
        return await idempotency.run(lambda: vouchers.void(tx, actor, partner_id, canonical, now), status_code=200)
