"""The incumbent programme's redeem-code API, as a thin edge on the /v1 services (docs/compatibility.md).

Transitional: it exists so a provider moves by changing one base URL, then migrates to OAuth and /v1 at its own
pace. Requests are signed (api/auth/integration_signatures.py); every answer, refusals included, is the
incumbent's envelope `{"success", "code", "message", "data"}` rather than problem+json. Each domain refusal is
translated in REFUSALS, one row per error, so what a provider reads for each case is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from api.auth.access import request_id
from api.auth.integration_signatures import integration_caller, verify_integration_signature
from api.http.dependencies import Connection
from api.http.errors import (
    DOMAIN_STATUS,
    ApiError,
    Problem,
    handle_data_error,
    handle_http_exception,
    handle_unexpected,
)
from api.http.errors import handle_api_error as api_error_problem
from api.http.examples.problems import DETAILS
from api.http.openapi import COMPATIBILITY_TAG, LiteralExample
from api.schemas.compatibility import Envelope, ErrorData, RedeemCodeCommitted, RedeemCodeRequest, RedeemCodeStatus
from api.services import compatibility
from api.services.audit import Actor
from api.services.clock import Clock
from api.services.vouchers import CodeFormat
from domain.errors import (
    CourseNotOnSale,
    DomainError,
    InvalidRequest,
    InvalidStateTransition,
    LearnerAlreadyEnrolled,
    NotFound,
    ParticipantFrozen,
    ParticipantRevoked,
    RedemptionWindowClosed,
    ValidationFailed,
    VoucherAlreadyRedeemed,
    VoucherCancelled,
    VoucherExpired,
    VoucherFraudulent,
)

BASE_PATH = "/api/v1/integration/payment/redeem-code"
STATUS_PATH = f"{BASE_PATH}/status"
COMMIT_PATH = f"{BASE_PATH}/commit"


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    message: str


# Every domain refusal these endpoints can meet, and what a provider reads for it. `code` in the envelope is the
# error's /v1 code, `data.detail` the /v1 detail. A code of another provider is "not found": existence is not leaked.
REFUSALS: dict[type[DomainError], Refusal] = {
    NotFound: Refusal(404, "Redeem code not found."),
    VoucherAlreadyRedeemed: Refusal(409, "Redeem code has already been used."),
    VoucherExpired: Refusal(409, "Redeem code has expired."),
    VoucherCancelled: Refusal(409, "Redeem code has been cancelled."),
    VoucherFraudulent: Refusal(409, "Redeem code was flagged as fraudulent and cannot be used."),
    RedemptionWindowClosed: Refusal(
        409, "Redeem code can be used only from 1 hour before to 1 hour after its schedule starts."
    ),
    ParticipantFrozen: Refusal(409, "The participant is under review; the redeem code cannot be used now."),
    ParticipantRevoked: Refusal(409, "The participant's membership was revoked; the redeem code cannot be used."),
    CourseNotOnSale: Refusal(409, "The course is suspended; the redeem code cannot be used now."),
    LearnerAlreadyEnrolled: Refusal(409, "This learner already redeemed this course."),
    InvalidStateTransition: Refusal(409, "The enrollment is no longer active; attendance cannot be recorded."),
    ValidationFailed: Refusal(422, "The request is not valid."),
    InvalidRequest: Refusal(400, "The request is not valid."),
}


def _envelope(
    status: int, code: str, message: str, data: ErrorData, headers: dict[str, str] | None = None
) -> Response[Any]:
    body = Envelope(success=False, code=code, message=message, data=data)
    return Response(content=body, status_code=status, headers=headers)


def _from_problem(response: Response[Problem]) -> Response[Any]:
    """An error the rest of the API answers as problem+json (auth, input, rate limit, availability), enveloped."""
    problem = response.content
    errors = [{"field": e.field, "message": e.message} for e in problem.errors] if problem.errors else None
    return _envelope(
        problem.status,
        problem.code,
        problem.detail or problem.title,
        ErrorData(errors=errors),
        headers=dict(response.headers),
    )


def _handle_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    refusal = REFUSALS.get(type(exc)) or Refusal(DOMAIN_STATUS.get(exc.code, 409), exc.detail)
    errors = [{"field": p.field, "message": p.message} for p in exc.problems] or None
    return _envelope(refusal.status, exc.code, refusal.message, ErrorData(detail=exc.detail, errors=errors))


def _handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return _from_problem(api_error_problem(request, exc))


def _handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _from_problem(handle_http_exception(request, exc))


def _handle_data_error(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Any]:
    return _from_problem(handle_data_error(request, exc))


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _from_problem(handle_unexpected(request, exc))


def _error_responses() -> dict[int, ResponseSpec]:
    cases = {
        400: "`invalid_request`: the body is not a JSON object.",
        401: "`invalid_signature` (missing headers, unknown client_code, wrong signature, suspended partner); "
        "`stale_timestamp` (more than 300 s from the server's time); `replayed_request` (this exact signed "
        "request was already received).",
        404: "`not_found`: no such code for your courses (a code of another provider reads the same).",
        409: "`voucher_already_redeemed`, `voucher_expired`, `voucher_cancelled`, `voucher_fraudulent`, "
        "`redemption_window_closed`, "
        "`participant_frozen`, `participant_revoked`, `course_not_on_sale`, `invalid_state_transition`.",
        413: "`payload_too_large`.",
        415: "`unsupported_media_type`: the body is not sent as `Content-Type: application/json`.",
        422: "`validation_failed` (with `data.errors`).",
        429: "`rate_limited` (with `Retry-After`), the same per-client quota as /v1.",
        500: "`internal_error`.",
        503: "`service_unavailable` (with `Retry-After`).",
    }
    return {
        status: ResponseSpec(
            data_container=Envelope[ErrorData],
            description=f"Envelope with `success: false` and `code`: {text}",
            generate_examples=False,
            examples=[_error_example(status, text.split("`", 2)[1])],  # the first code the text lists
        )
        for status, text in cases.items()
    }


def _error_example(status: int, code: str) -> LiteralExample:
    """The envelope a refusal with `code` is answered with: a domain refusal's message and its /v1 detail, or an
    edge problem's detail as the message."""
    refusal = next((refusal for error, refusal in REFUSALS.items() if error.code == code), None)
    if refusal is not None:
        envelope = {"success": False, "code": code, "message": refusal.message, "data": {"detail": DETAILS[code]}}
    else:
        envelope = {"success": False, "code": code, "message": DETAILS[code], "data": {}}
    return LiteralExample(id=code, summary=f"{status} {code}", value=envelope)


# Declared for the OpenAPI document; the guard has checked all three before a handler runs.
ClientCodeHeader = Annotated[
    str, HeaderParameter(name="client_code", description="Your client code, issued with your sign key.")
]
TimestampHeader = Annotated[
    str, HeaderParameter(name="timestamp", description="Unix time in seconds; within 300 s of the server's clock.")
]
SignatureHeader = Annotated[
    str,
    HeaderParameter(
        name="signature",
        description='hex(HMAC-SHA1(sign_key, client_code + timestamp + "POST" + path + compact JSON body)).',
    ),
]


def signed(path: str) -> dict[str, Any]:
    """Route keyword arguments of an endpoint signed over `path`: the signature guard, the enveloped errors, and
    the deprecation mark (in OpenAPI) that points providers to OAuth."""
    return {
        "guards": [verify_integration_signature],
        "responses": _error_responses(),
        "deprecated": True,
        "opt": {"signed_path": path, "own_error_responses": True},
    }


class CompatibilityController(Controller):
    path = BASE_PATH
    tags = [COMPATIBILITY_TAG]
    exception_handlers = {
        DomainError: _handle_domain_error,
        ApiError: _handle_api_error,
        HTTPException: _handle_http_exception,
        asyncpg.DataError: _handle_data_error,
        Exception: _handle_unexpected,
    }

    @post(
        "/status",
        operation_id="compatibilityRedeemCodeStatus",
        summary="Check a redeem code (incumbent API)",
        status_code=200,
        **signed(STATUS_PATH),
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        data: RedeemCodeRequest,
        conn: Connection,
        codes: CodeFormat,
        clock: Clock,
        client_code: ClientCodeHeader,
        timestamp: TimestampHeader,
        signature: SignatureHeader,
    ) -> Envelope[RedeemCodeStatus]:
        """Whether the code exists for your courses, its state (`usable`: it can be committed now), the course, the
        schedule and the participant's masked name. Signed like every request of this API; `sequence` is accepted
        and ignored here."""
        caller = integration_caller(request)
        now = await clock.now(conn, caller.partner_id)
        shown = await compatibility.status(conn, caller.partner_id, codes.parse(data.redeem_code), now)
        return Envelope(success=True, code="ok", message="OK", data=shown)

    @post(
        "/commit",
        operation_id="compatibilityRedeemCodeCommit",
        summary="Use a redeem code (incumbent API)",
        status_code=200,
        **signed(COMMIT_PATH),
    )
    async def commit(
        self,
        request: Request[Any, Any, Any],
        data: RedeemCodeRequest,
        tx: Connection,
        codes: CodeFormat,
        clock: Clock,
        client_code: ClientCodeHeader,
        timestamp: TimestampHeader,
        signature: SignatureHeader,
    ) -> Envelope[RedeemCodeCommitted]:
        """Redeem the code: the same redemption as POST /v1/vouchers/{code}/redeem (exactly once, same events, audit
        and settlement line), linked to the learner account `redeem_code:<code>`. No Idempotency-Key: a retry of a
        commit you made through this API answers success with the same enrollment; a code redeemed any other way
        is `voucher_already_redeemed`. With `sequence` (1..n), that session or module is also recorded as attended
        now, by the same rules as PUT /v1/enrollments/{id}/attendance/{sequence}; both happen or neither.
        Sequence 999 (post-test) is refused: report the assessment through /v1."""
        caller = integration_caller(request)
        actor = Actor("partner_client", caller.client_code, caller.partner_id, request_id(request))
        now = await clock.now(tx, caller.partner_id)
        committed = await compatibility.commit(tx, actor, caller, codes.parse(data.redeem_code), data.sequence, now)
        return Envelope(success=True, code="ok", message="Redeem code committed.", data=committed)
