"""Strict request input, checked before Litestar decodes it (Litestar converts leniently: `"1"` → 1, 0 → a date).

A form body (the OAuth endpoints) must say `Content-Type: application/x-www-form-urlencoded` (415 otherwise:
Litestar would read a JSON body there as an empty form). A JSON body must say `Content-Type: application/json`
(415 otherwise) and decode into its request type with msgspec's strict rules: `"1"` is not an integer, a number
is not a timestamp, a timestamp carries its offset. An integral number written with a fraction or exponent
(`42.0`, `4.2e1`) is the integer JSON Schema says it is. Once this passes, Litestar's own lenient conversion of
the same bytes yields the same value.

Times in query strings (`updated_since`) must carry an offset too; a `+07:00` whose `+` arrived as a space
(it was not encoded as `%2B`) gets a 422 that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg

from api.http.errors import NESTING_DETAIL, ApiError, ProblemField, field_problem
from api.http.json_depth import MAX_JSON_DEPTH, nests_deeper_than
from api.http.request_context import first_header

JSON_MEDIA_TYPE = "application/json"
CONTENT_TYPE = b"content-type"
FORM_MEDIA_TYPE = RequestEncodingType.URL_ENCODED.value  # application/x-www-form-urlencoded
NAIVE_TIME = "must carry a UTC offset, e.g. 2026-11-28T09:00:00Z or 2026-11-28T16:00:00+07:00"
PLUS_AS_SPACE = (
    "looks like a time whose `+` offset arrived as a space: encode `+` as `%2B` in a query string "
    "(2026-11-28T16:00:00%2B07:00), or use `Z`"
)
_SPACE_OFFSET = re.compile(r"\d \d{2}:?\d{2}$")
_ROOT_TYPE = re.compile(r"^Expected `object`, got `\w+`$")  # no `- at $.field`: the body itself is not an object


@dataclass(frozen=True, slots=True)
class InputShape:
    """What a handler accepts: its JSON body type (if any) and the names of its time-valued query parameters."""

    body_type: Any = None
    body_optional: bool = False
    time_queries: tuple[str, ...] = ()
    form_body: bool = False


SHAPE_KEY = "_input_shape"  # computed once per handler, kept in its `opt` (ids of handler copies get reused)


def _query_name(name: str, kwarg: Any) -> str:
    """The name a parameter has in the query string: `Parameter(query=…)`'s, `QueryParameter(name=…)`'s, or its own."""
    if isinstance(kwarg, ParameterKwarg):
        return getattr(kwarg, "name", None) or kwarg.query or name
    return name


def _shape(handler: HTTPRouteHandler) -> InputShape:
    found: InputShape | None = handler.opt.get(SHAPE_KEY)
    if found is None:
        parameters = handler.parsed_fn_signature.parameters
        data = parameters.get("data")
        body_type, optional, form = None, False, False
        if data is not None:
            kwarg = data.kwarg_definition
            media = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
            if media == RequestEncodingType.JSON:
                body_type, optional = data.annotation, data.is_optional
            form = media == RequestEncodingType.URL_ENCODED
        times = tuple(
            _query_name(name, p.kwarg_definition)
            for name, p in parameters.items()
            if datetime in (p.annotation, *get_args(p.annotation))
        )
        found = handler.opt[SHAPE_KEY] = InputShape(body_type, optional, times, form)
    return found


async def strict_input(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard (after `authorize`) that refuses loosely typed input with a problem+json answer."""
    if not isinstance(handler, HTTPRouteHandler):
        return
    shape = _shape(handler)

    for name in shape.time_queries:
        raw = connection.query_params.get(name)
        if raw is not None:
            _check_query_time(name, raw)
    if shape.form_body:
        await _check_form_media_type(connection)
    if shape.body_type is None:
        return
    assert isinstance(connection, Request)  # an HTTP route handler is reached with a Request
    body = await connection.body()
    if not body and shape.body_optional:
        return
    if nests_deeper_than(body, MAX_JSON_DEPTH):  # before any decoder recurses into it (api/http/json_depth.py)
        raise ApiError(400, "invalid_request", NESTING_DETAIL)
    media_type = _media_type(connection)
    if media_type != JSON_MEDIA_TYPE and not (media_type.startswith("application/") and media_type.endswith("+json")):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Request bodies must be sent as `Content-Type: {JSON_MEDIA_TYPE}`"
            + (f", not `{media_type}`." if media_type else "; the header is missing."),
        )
    try:
        _decode_strictly(body, shape.body_type)
    except msgspec.ValidationError as exc:
        if _ROOT_TYPE.match(str(exc)):
            raise ApiError(400, "invalid_request", "The request body must be a JSON object.") from None
        field, message = field_problem(str(exc))
        if "timezone component" in message:
            message = NAIVE_TIME
        raise ApiError(
            422,
            "validation_failed",
            "The request does not match the schema.",
            errors=[ProblemField(field=field, message=message)],
        ) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_request", "The request body is not valid JSON.") from None


def _media_type(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return (first_header(connection.scope, CONTENT_TYPE) or "").split(";", 1)[0].strip().lower()


async def _check_form_media_type(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A form endpoint takes `application/x-www-form-urlencoded` only (RFC 6749 section 3.2). Without this,
    Litestar reads any other body (JSON, multipart) as an empty form: a misleading `grant_type` 422."""
    media_type = _media_type(connection)
    if media_type == FORM_MEDIA_TYPE:
        return
    assert isinstance(connection, Request)  # an HTTP route handler is reached with a Request
    if not media_type and not await connection.body():
        return  # nothing sent at all: the form's own required fields say what is missing
    raise ApiError(
        415,
        "unsupported_media_type",
        f"This endpoint takes a form, `Content-Type: {FORM_MEDIA_TYPE}` (RFC 6749)"
        + (f", not `{media_type}`." if media_type else "; the header is missing."),
    )


def _integers_as_integers(value: Any) -> Any:
    """`value` with every integral float (`42.0`) as the int it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integers_as_integers(item) for item in value]
    if isinstance(value, dict):
        return {key: _integers_as_integers(item) for key, item in value.items()}
    return value


def _decode_strictly(body: bytes, body_type: Any) -> None:
    """Decode `body` into `body_type` by msgspec's strict rules, an integral float counting as an integer."""
    try:
        msgspec.json.decode(body, type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        if "got `float`" not in str(exc):  # `int`, `int | null`, ...: the float may be integral
            raise
        msgspec.convert(_integers_as_integers(msgspec.json.decode(body)), body_type, strict=True)


def _check_query_time(name: str, raw: str) -> None:
    message: str | None = None
    if _SPACE_OFFSET.search(raw):
        message = PLUS_AS_SPACE
    else:
        try:
            moment = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            moment = None  # Litestar would read a number as a Unix time: not a time by the spec
        if moment is None:
            message = "expected an RFC 3339 date-time with an offset, e.g. 2026-11-28T09:00:00Z"
        elif moment.tzinfo is None:
            message = NAIVE_TIME
    if message is not None:
        raise ApiError(
            422,
            "validation_failed",
            f"`{name}` is not a time with an offset.",
            errors=[ProblemField(field=name, message=message)],
        )
