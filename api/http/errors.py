"""The one error map: every exception becomes an RFC 9457 problem+json body with a stable `code`."""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from api.settings import MAX_BODY_BYTES
from domain.errors import DomainError, FieldProblem, all_domain_errors

log = logging.getLogger("api.http.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = "5"

# Status of every domain error code (API.md, "Status mapping"). A test asserts it is complete.
DOMAIN_STATUS: dict[str, int] = {
    "invalid_request": 400,
    "validation_failed": 422,
    "not_found": 404,
    "precondition_failed": 412,
    "precondition_required": 428,
    "invalid_state_transition": 409,
    "course_rule_violated": 409,
    "voucher_already_redeemed": 409,
    "voucher_expired": 409,
    "voucher_cancelled": 409,
    "voucher_fraudulent": 409,
    "voucher_void_not_allowed": 409,
    "redemption_window_closed": 409,
    "learner_already_enrolled": 409,
    "participant_already_enrolled": 409,
    "out_of_time_order": 409,
    "environment_not_served": 409,
    "participant_frozen": 409,
    "participant_revoked": 409,
    "insufficient_balance": 409,
    "active_training_exists": 409,
    "course_already_purchased": 409,
    "course_not_on_sale": 409,
    "schedule_full": 409,
    "attendance_incomplete": 409,
    "assessment_missing": 409,
    "completion_too_early": 409,
    "not_completed": 409,
    "certificate_number_taken": 409,
    "partner_suspended": 409,
}

# Codes for statuses the framework itself produces, so no error body ever lacks a `code`.
HTTP_STATUS_CODE: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Invalid request"),
    401: ("invalid_token", "Invalid token"),
    403: ("insufficient_scope", "Insufficient scope"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition_failed", "Precondition failed"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_failed", "Validation failed"),
    428: ("precondition_required", "Precondition required"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable"),
}


def problem_title(status: int, code: str) -> str:
    """The `title` this API answers a problem of `code` with: the domain error's own title, the framework status's
    title when `code` is that status's code, otherwise the code in words (as `ApiError` and the OAuth endpoints
    spell it)."""
    for error in all_domain_errors():
        if error.code == code:
            return error.title
    framework_code, framework_title = HTTP_STATUS_CODE.get(status, ("", ""))
    if framework_code == code:
        return framework_title
    return code.replace("_", " ").capitalize()


# Exceptions meaning "the database cannot serve us right now": a retryable 503, never a 500.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # The client's protocol state broke: a pooled connection the server had just dropped (pg_terminate_backend, a
    # restart) was handed out before asyncpg saw it close. The connection is discarded; a retry gets a fresh one.
    asyncpg.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.QueryCanceledError,
    asyncpg.LockNotAvailableError,
)


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` means the database cannot serve us right now.

    Also when it comes grouped: Litestar gathers what a dependency's cleanup raised into an ExceptionGroup (a
    connection that timed out mid-request also fails its ROLLBACK or its release to the pool).
    """
    if isinstance(exc, BaseExceptionGroup):
        return all(database_unavailable(inner) for inner in exc.exceptions)
    return isinstance(exc, DATABASE_UNAVAILABLE)


# Text PostgreSQL cannot store (U+0000 in text or JSON): the client's input is invalid, not our failure.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
)
UNSTORABLE_TEXT_DETAIL = "Text may not contain the NUL character (U+0000)."
OUT_OF_RANGE_DETAIL = "A value is outside the range this API can store."


class ProblemField(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem details body, plus our machine `code` and per-field `errors`."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[ProblemField] | None = None


class ApiError(Exception):
    """An error raised by the HTTP edge itself (auth, idempotency, preconditions) with its status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[ProblemField] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTP_STATUS_CODE.get(status, (code, code.replace("_", " ").capitalize()))[1]
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None,
    *,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """The problem+json response every error path goes through."""
    body = problem(status, code, title, detail, errors=errors)
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem(
    status: int, code: str, title: str, detail: str | None, *, errors: list[ProblemField] | None = None
) -> Problem:
    """The problem details body for one error (`type` is derived from the stable `code`)."""
    return Problem(
        type=f"urn:prakerja:problem:{code}", title=title, status=status, code=code, detail=detail, errors=errors
    )


def _field_errors(problems: tuple[FieldProblem, ...]) -> list[ProblemField] | None:
    return [ProblemField(field=p.field, message=p.message) for p in problems] or None


def domain_problem(exc: DomainError) -> Problem:
    """The body a domain error is answered with; its `status` is the HTTP status (the idempotency layer stores it)."""
    status = DOMAIN_STATUS.get(exc.code, 409)
    return problem(status, exc.code, exc.title, exc.detail, errors=_field_errors(exc.problems))


def handle_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    body = domain_problem(exc)
    return problem_response(body.status, body.code, body.title, body.detail, errors=body.errors)


def handle_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[Problem]:
    return problem_response(exc.status, exc.code, exc.title, exc.detail, errors=exc.errors, headers=exc.headers)


_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED_FIELD = re.compile(r"(?:missing required field|unknown field|time field) `([^`]+)`")


def _field_of(key: str, message: str) -> tuple[str, str]:
    """Name the offending field the way a client wrote it (`schedule.capacity`), not Litestar's `data`."""
    at_path = _AT_PATH.search(message)
    prefix = ""
    if at_path:
        prefix = at_path.group(1).replace("[", ".").replace("]", "")
        message = message[: at_path.start()]
    named = _NAMED_FIELD.search(message)
    if named:
        return (f"{prefix}.{named.group(1)}" if prefix else named.group(1)), message
    if prefix:
        return prefix, message
    return ("body" if key in ("data", "") else key), message


def field_problem(message: str) -> tuple[str, str]:
    """The field a msgspec validation message is about (`schedule.capacity`), and the message without its path."""
    return _field_of("data", message)


def _validation_errors(extra: Any) -> list[ProblemField]:
    fields: list[ProblemField] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                field, message = _field_of(str(item.get("key") or ""), str(item.get("message", "invalid value")))
                fields.append(ProblemField(field=field, message=message))
    return fields


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra)
        return problem_response(
            422, "validation_failed", "Validation failed", "The request does not match the schema.", errors=errors
        )
    code, title = HTTP_STATUS_CODE.get(status, ("invalid_request" if status < 500 else "internal_error", exc.detail))
    if isinstance(exc, NotFoundException):
        detail = "No such resource."
    elif isinstance(exc, MethodNotAllowedException):
        detail = "This method is not allowed on this resource."
    elif status == 413:
        detail = f"The request body is larger than {MAX_BODY_BYTES} bytes."
    elif status >= 500:
        detail = "The server could not complete the request."
    else:
        detail = exc.detail
    return problem_response(status, code, title, detail, headers=dict(exc.headers or {}))


def handle_data_error(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Problem]:
    """A value the database cannot take: the client's when it is text with NUL or a number or time that the
    driver cannot encode (asyncpg raises OverflowError for those); any other data error is ours."""
    if isinstance(exc, UNSTORABLE_TEXT):
        return problem_response(422, "validation_failed", "Validation failed", UNSTORABLE_TEXT_DETAIL)
    if isinstance(exc.__cause__, OverflowError):
        return problem_response(422, "validation_failed", "Validation failed", OUT_OF_RANGE_DETAIL)
    return handle_unexpected(request, exc)


def handle_unique_violation(request: Request[Any, Any, Any], exc: asyncpg.UniqueViolationError) -> Response[Problem]:
    """A race that a service did not translate by constraint name still answers 409, never 500: two requests
    wanted the same unique thing and the database let one win. Logged, since a service should name it."""
    log.warning("untranslated unique violation %s on %s", exc.constraint_name, request.scope.get("path_template", "?"))
    return problem_response(
        409, "conflict", "Conflict", "A concurrent request changed this resource first; read it and try again."
    )


def handle_recursion(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    """Input nested too deeply for the decoder (the depth cap in api/http/json_depth.py normally answers first)."""
    return problem_response(400, "invalid_request", "Invalid request", NESTING_DETAIL)


NESTING_DETAIL = "The JSON body is nested too deeply."


def _names(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return ", ".join(_names(inner) for inner in exc.exceptions)
    return type(exc).__name__


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if database_unavailable(exc):
        log.warning("database unavailable: %s", _names(exc))
        return problem_response(
            503,
            "service_unavailable",
            "Service unavailable",
            "The service is temporarily unavailable; retry later.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    log.exception("unhandled error on %s %s", request.method, request.scope.get("path_template", "?"))
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error",
        "The server could not complete the request.",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    asyncpg.DataError: handle_data_error,
    asyncpg.UniqueViolationError: handle_unique_violation,
    RecursionError: handle_recursion,
    Exception: handle_unexpected,
}
