"""OpenAPI configuration: the spec at /openapi.json and Swagger UI at /docs, served without internet."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import swagger_ui
from litestar import Litestar, Request, get
from litestar._openapi.plugin import OpenAPIPlugin  # private: where Litestar keeps the built document
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    Discriminator,
    Example,
    OAuthFlow,
    OAuthFlows,
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
    Server,
    Tag,
)
from litestar.router import Router
from litestar.static_files import create_static_files_router

from api.http.examples import examples_by_operation
from api.http.examples.model import Example as OperationExample
from api.http.examples.problems import DETAILS, OAUTH_DETAILS
from api.http.guides import GUIDES, GUIDES_PATH, guides_router
from domain.clients import PROGRAMME_SCOPES, SCOPE_DESCRIPTIONS

API_TITLE = "Prakerja Partner API"
API_VERSION = "1.0.0"
DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
SWAGGER_UI_STATIC = Path(swagger_ui.__file__).resolve().parent / "static"

DESCRIPTION = """\
The partner API of the national training marketplace. Training platforms publish courses, redeem the
vouchers participants bought with their training balance, and report attendance, assessment,
completion and certificates. Programme staff use the same API for curation, partners, participants
and money.

Errors are RFC 9457 `application/problem+json` bodies with a stable machine `code`. Every response
carries `X-Request-Id`; quote it when you ask for help.

Get a token with **Authorize** (your client id and secret; the client credentials flow), then try any operation
below. The operations are grouped by audience: public, OAuth, partner (in the order of an integration), sandbox,
programme, and the compatibility layer last.
"""
GUIDES_INTRODUCTION = "**Guides** beside this reference:"


def description() -> str:
    """The document's description: the introduction and a link to every guide served under /docs/guides."""
    links = " · ".join(f"[{title}]({GUIDES_PATH}/{name})" for name, title in GUIDES.items())
    return f"{DESCRIPTION}\n{GUIDES_INTRODUCTION} {links}.\n"


COMPATIBILITY_DESCRIPTION = (
    "Transitional and deprecated: the incumbent programme's redeem-code API (HMAC-SHA1 signed headers `client_code`, "
    "`timestamp`, `signature`; answers in its `{success, code, message, data}` envelope), kept so that existing "
    "integrations move by changing their base URL. It runs on the same services as /v1. Move to OAuth 2.0 client "
    "credentials and /v1/vouchers at your own pace: /v1 adds idempotency keys, scopes, problem details and the whole "
    "learning path. See docs/compatibility.md."
)

# --- tags: the operations grouped by audience, each group in the order a reader meets them -----------------------
# Swagger UI shows the tags in the order of the document's `tags` list; `x-tagGroups` names the audiences for
# renderers that group tags (Redoc and others). Routes name their tag with these constants.

PUBLIC_CATALOGUE = "Public: catalogue"
PUBLIC_CERTIFICATES = "Public: certificate verification"
PUBLIC_HEALTH = "Public: health"
OAUTH = "OAuth"
PARTNER_ME = "Partner: me"
PARTNER_COURSES = "Partner: courses"
PARTNER_SCHEDULES = "Partner: schedules"
PARTNER_VOUCHERS = "Partner: vouchers"
PARTNER_ENROLLMENTS = "Partner: enrollments"
PARTNER_CERTIFICATES = "Partner: certificates"
PARTNER_EVENTS = "Partner: events"
PARTNER_WEBHOOKS = "Partner: webhooks"
PARTNER_STATEMENTS = "Partner: statements"
SANDBOX = "Sandbox"
PROGRAMME_CURATION = "Programme: curation"
PROGRAMME_PARTNERS = "Programme: partners"
PROGRAMME_PARTICIPANTS = "Programme: participants"
PROGRAMME_MONEY = "Programme: money"
PROGRAMME_AUDIT = "Programme: audit"
PROGRAMME_STAFF = "Programme: staff"
COMPATIBILITY_TAG = "Compatibility"

TAG_GROUPS: tuple[tuple[str, tuple[Tag, ...]], ...] = (
    (
        "Public",
        (
            Tag(PUBLIC_CATALOGUE, "Published courses and their schedules, for anyone: no token needed."),
            Tag(
                PUBLIC_CERTIFICATES,
                "Check a certificate by its id or by its issuer's number, and read the issuer's profile. Anyone "
                "holding the link learns the masked name only.",
            ),
            Tag(PUBLIC_HEALTH, "Liveness and readiness probes for load balancers and orchestrators."),
        ),
    ),
    (
        "OAuth",
        (
            Tag(
                OAUTH,
                "Get an access token with your client id and secret (client credentials), introspect or revoke it, "
                "and find the metadata and public keys. Start here: every /v1 operation below needs a token.",
            ),
        ),
    ),
    (
        "Partner",
        (
            Tag(PARTNER_ME, "Who your token speaks for: partner, client, environment, scopes and expiry."),
            Tag(PARTNER_COURSES, "Your courses: draft, submit for curation, edit, archive."),
            Tag(PARTNER_SCHEDULES, "The sessions of a course: when and where (or on which link) it is taught."),
            Tag(
                PARTNER_VOUCHERS,
                "Check and redeem the voucher a participant bought for your course (with an `Idempotency-Key`); "
                "void a redemption before learning starts.",
            ),
            Tag(PARTNER_ENROLLMENTS, "What a redemption starts: record attendance and assessment, then complete."),
            Tag(PARTNER_CERTIFICATES, "Issue the certificate of a completed enrollment, read it, revoke it."),
            Tag(PARTNER_EVENTS, "The event feed: everything that happened to your objects, in order, with a cursor."),
            Tag(PARTNER_WEBHOOKS, "Have the events pushed to your URL, signed (Standard Webhooks), with retries."),
            Tag(
                PARTNER_STATEMENTS, "What the programme owes you, per month: statements and their lines (JSON or CSV)."
            ),
        ),
    ),
    (
        "Sandbox",
        (
            Tag(
                SANDBOX,
                "Sandbox deployments only (scope `sandbox:simulate`): test participants and vouchers, self-approval, "
                "a test clock you move forward, statement closing and a reset.",
            ),
        ),
    ),
    (
        "Programme",
        (
            Tag(PROGRAMME_CURATION, "Programme staff review courses: approve, reject, suspend, reinstate."),
            Tag(PROGRAMME_PARTNERS, "Onboard and suspend partners; issue, rotate and disable their OAuth clients."),
            Tag(
                PROGRAMME_PARTICIPANTS,
                "Enrol participants, sell vouchers, answer support questions, cancel, freeze, review.",
            ),
            Tag(PROGRAMME_MONEY, "Statements and payments to partners, disbursements and incentives to participants."),
            Tag(PROGRAMME_AUDIT, "Reports, the dashboard and the append-only audit log (read-only)."),
            Tag(PROGRAMME_STAFF, "Staff sign-in for the programme's portal (token exchange)."),
        ),
    ),
    ("Compatibility", (Tag(COMPATIBILITY_TAG, COMPATIBILITY_DESCRIPTION),)),
)
TAGS_IN_ORDER = [tag for _, tags in TAG_GROUPS for tag in tags]


@dataclasses.dataclass
class GroupedOpenAPI(OpenAPI):
    """The document with `x-tagGroups` (Litestar's `OpenAPI` has no field for extensions)."""

    x_tag_groups: list[dict[str, object]] | None = dataclasses.field(default=None, metadata={"alias": "x-tagGroups"})


def _group_tags(schema: OpenAPI) -> GroupedOpenAPI:
    grouped = GroupedOpenAPI(**{f.name: getattr(schema, f.name) for f in dataclasses.fields(OpenAPI)})
    grouped.x_tag_groups = [{"name": name, "tags": [tag.name for tag in tags]} for name, tags in TAG_GROUPS]
    return grouped


# --- security: the OAuth 2.0 client credentials flow, so "Authorize" gets a token from a client id and secret ---

TOKEN_URL = "/oauth/token"  # noqa: S105 (a path, not a secret)


def security_schemes() -> dict[str, SecurityScheme | Reference]:
    """`oauth2`, the name every operation's `security` requirement uses, with every scope and what it grants."""
    return {
        "oauth2": SecurityScheme(
            type="oauth2",
            description=(
                "OAuth 2.0 client credentials: POST your client id and secret to /oauth/token (HTTP Basic or form "
                "fields, or a `private_key_jwt` assertion) and send the access token as `Authorization: Bearer …`. "
                "In this page, **Authorize** does it for you; leave every scope unticked to get all of your client's."
            ),
            flows=OAuthFlows(client_credentials=OAuthFlow(token_url=TOKEN_URL, scopes=dict(SCOPE_DESCRIPTIONS))),
        )
    }


@dataclasses.dataclass
class LiteralExample(Example):
    """An Example Object whose `value` is written out exactly: Litestar drops every None from the document, which
    would take the `null`s (and so required properties) out of an example body."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["value"] = self.value
        return schema


class OfflineSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI whose JavaScript and CSS come from the `swagger-ui-py` package, never a CDN."""

    def __init__(self) -> None:
        super().__init__(
            path="/",
            favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        )

    def receive_router(self, router: Router) -> None:
        router.register(guides_router())
        router.register(
            create_static_files_router(
                path=DOCS_ASSETS.removeprefix(DOCS_PATH),
                directories=[SWAGGER_UI_STATIC],
                name="docs_assets",
                include_in_schema=False,
            )
        )


def openapi_config() -> OpenAPIConfig:
    """The spec's metadata and where it and its UI are served."""
    return OpenAPIConfig(
        title=API_TITLE,
        version=API_VERSION,
        description=description(),
        # The UI lives under /docs; the spec is also served at the root as /openapi.json (api/http/openapi.py).
        path=DOCS_PATH,
        render_plugins=[OfflineSwaggerRenderPlugin(), JsonRenderPlugin(path="/openapi.json")],
        servers=[Server(url="/", description="This deployment")],
        components=Components(security_schemes=security_schemes(), headers=dict(RESPONSE_HEADERS)),
        tags=TAGS_IN_ORDER,
        use_handler_docstrings=True,
        create_examples=False,
    )


@get("/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json", sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> dict[str, object]:
    """The OpenAPI document at the root, where tools look for it first."""
    schema: dict[str, object] = request.app.openapi_schema.to_schema()
    return schema


# --- documented errors ------------------------------------------------------------------------------------------

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details with a stable machine `code`.",
    required=["type", "title", "status", "code"],
    properties={
        "type": Schema(
            type=OpenAPIType.STRING,
            description="A URI naming the kind of problem (RFC 9457).",
        ),
        "title": Schema(
            type=OpenAPIType.STRING,
            description="The kind of problem in a few words; the same for every occurrence.",
        ),
        "status": Schema(type=OpenAPIType.INTEGER, description="The HTTP status code of the answer."),
        "code": Schema(
            type=OpenAPIType.STRING,
            description="The stable machine code to branch on (listed in docs/errors.md).",
        ),
        "detail": Schema(type=OpenAPIType.STRING, description="What exactly went wrong this time, for people."),
        "error": Schema(
            type=OpenAPIType.STRING, description="The OAuth endpoints only: the RFC 6749 error (= `code`)."
        ),
        "error_description": Schema(
            type=OpenAPIType.STRING, description="The OAuth endpoints only: the RFC 6749 description (= `detail`)."
        ),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="Validation problems (`validation_failed`, rule violations): one entry per field refused.",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "message"],
                properties={
                    "field": Schema(type=OpenAPIType.STRING, description="The field (or query parameter) refused."),
                    "message": Schema(type=OpenAPIType.STRING, description="Why it was refused."),
                },
            ),
        ),
    },
)
IDEMPOTENCY_KEY = "Idempotency-Key"
PROGRAMME_PATH = "/v1/programme/"
# JSON Schema keywords of a list item msgspec enforces, and the `Schema` attribute each one is.
ITEM_CONSTRAINTS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minimum": "minimum",
    "maximum": "maximum",
}
COMMON_CODES: dict[int, list[str]] = {500: ["internal_error"], 503: ["service_unavailable"]}
PROTECTED_CODES: dict[int, list[str]] = {401: ["invalid_token"], 403: ["insufficient_scope"], 429: ["rate_limited"]}
INPUT_CODES: dict[int, list[str]] = {400: ["invalid_request"], 422: ["validation_failed"]}
JSON_BODY_CODES: dict[int, list[str]] = {415: ["unsupported_media_type"]}  # api/http/strict_input.py
BODY_CODES: dict[int, list[str]] = {413: ["payload_too_large"]}  # over MAX_BODY_BYTES (api/settings.py)
FORM_BODY_CODES = JSON_BODY_CODES  # a form body sent as anything else (JSON, multipart) is a 415 as well
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# The OAuth endpoints answer RFC 6749 errors (the `error` is the `code`) and throttle failed client authentication.
OAUTH_CLIENT_CODES: dict[int, list[str]] = {401: ["invalid_client"], 429: ["rate_limited"]}
OAUTH_CODES: dict[str, dict[int, list[str]]] = {
    "issueToken": {
        400: ["invalid_request", "unsupported_grant_type", "invalid_scope", "unauthorized_client"],
        **OAUTH_CLIENT_CODES,
    },
    "introspectToken": {400: ["invalid_request"], **OAUTH_CLIENT_CODES},
    "revokeToken": {400: ["invalid_request"], **OAUTH_CLIENT_CODES},
}
IDEMPOTENT_CODES: dict[int, list[str]] = {
    400: ["idempotency_key_required"],
    409: ["idempotency_request_in_progress"],
    422: ["idempotency_key_reused"],
}


# --- response headers: what the server sends (api/http/*.py, api/auth/rate_limits.py), as reusable components ---

RESPONSE_HEADERS: dict[str, OpenAPIHeader | Reference] = {
    "X-Request-Id": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=128),
        required=True,
        description="This request's id (yours, when you sent a sane `X-Request-Id`); on every response. Quote it "
        "when you ask for help.",
    ),
    "Location": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.URI_REFERENCE),
        description="Where the created resource can be read (a path on this API).",
    ),
    "ETag": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, min_length=1),
        description="The version of this representation: send it back in `If-Match` to update (courses) or in "
        "`If-None-Match` to revalidate (the catalogue answers 304 when it has not changed).",
    ),
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]+$"),
        description="Seconds to wait before trying again (on 429, on 409 `idempotency_request_in_progress`, on 503).",
    ),
    "RateLimit": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, min_length=1, examples=['"per-client";r=2999;t=42']),
        description='What is left of the quota (draft-ietf-httpapi-ratelimit-headers): `"<policy>";r=<remaining>;'
        "t=<seconds until the window resets>`. Sent on 429 and once at most half of the window's quota remains.",
    ),
    "RateLimit-Policy": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, min_length=1, examples=['"per-client";q=6000;w=60']),
        description='The quota (draft-ietf-httpapi-ratelimit-headers): `"<policy>";q=<requests>;w=<window seconds>`. '
        "Sent with `RateLimit`.",
    ),
    "Cache-Control": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, min_length=1),
        description="How long browsers and shared caches (proxies, content delivery networks) may reuse the answer: "
        "`public, max-age=…, stale-while-revalidate=…` (the public catalogue, api/http/page_cache.py).",
    ),
    "Idempotent-Replayed": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
        description="`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` "
        "(nothing was done again).",
    ),
}
LOCATION_HEADER = Reference(ref="#/components/headers/Location")
# Operations whose successful answers carry an `ETag` (api/routes/courses.py, api/http/page_cache.py).
ETAG_OPERATIONS = frozenset({"createCourse", "getCourse", "updateCourse", "searchCatalogue", "getCatalogueCourse"})
# Cached by the page cache (api/http/page_cache.py): `Cache-Control` on the answer, and 304 Not Modified to an
# `If-None-Match` naming the current ETag.
REVALIDATED_OPERATIONS = frozenset({"searchCatalogue", "getCatalogueCourse"})
IF_NONE_MATCH = Parameter(
    name="If-None-Match",
    param_in="header",
    required=False,
    schema=Schema(type=OpenAPIType.STRING),
    description="The `ETag` of the copy you hold: when the answer has not changed, 304 Not Modified with no body "
    "(any other value, empty included, gets the full answer).",
)
# Per-address quota is not spent by these (api/auth/access.py `limit_by_address`): no RateLimit headers.
UNLIMITED_OPERATIONS = frozenset({"getLiveness", "getReadiness"})


def _header(name: str) -> Reference:
    return Reference(ref=f"#/components/headers/{name}")


def _document_headers(operation: Operation, responses: dict[str, Any], *, idempotent: bool) -> None:
    """Name on each response the headers the server may send with it (only `X-Request-Id` is always there)."""
    operation_id = operation.operation_id or ""
    for status, response in responses.items():
        if not isinstance(response, OpenAPIResponse):
            continue
        code = int(status)
        headers: dict[str, OpenAPIHeader | Reference] = {
            **(response.headers or {}),
            "X-Request-Id": _header("X-Request-Id"),
        }
        if operation_id not in UNLIMITED_OPERATIONS and (code < 300 or code == 429):
            headers["RateLimit"] = _header("RateLimit")
            headers["RateLimit-Policy"] = _header("RateLimit-Policy")
        if code in (423, 429, 503) or (code == 409 and idempotent):
            headers["Retry-After"] = _header("Retry-After")
        if (code < 300 or code == 304) and operation_id in ETAG_OPERATIONS:
            headers["ETag"] = _header("ETag")
        if (code < 300 or code == 304) and operation_id in REVALIDATED_OPERATIONS:
            headers["Cache-Control"] = _header("Cache-Control")
        if idempotent and code < 500 and code != 429:
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
        response.headers = headers


def _merge(into: dict[int, list[str]], codes: dict[int, list[str]]) -> None:
    for status, names in codes.items():
        into.setdefault(status, [])
        into[status] += [name for name in names if name not in into[status]]


def _handlers(app: Litestar) -> list[HTTPRouteHandler]:
    return [
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler, HTTPRouteHandler)
    ]


def _describe_request_bodies(app: Litestar, components: dict[str, Schema]) -> None:
    """Say what msgspec enforces on request bodies and Litestar's generated schemas leave out: a Struct with
    `forbid_unknown_fields` refuses fields it does not know (a 422), and the constraints of list items
    (`list[Annotated[str, Meta(min_length=1)]]`) hold for every item; a body that takes exactly one of some fields
    (`RequestBody.exactly_one_of`) says so with a `oneOf` (in an `allOf`)."""
    bodies = [
        handler.parsed_fn_signature.parameters["data"].annotation
        for handler in _handlers(app)
        if "data" in handler.parsed_fn_signature.parameters
    ]
    for body in bodies:
        # `RequestBody.exactly_one_of` (api/schemas/common.py; read by name: this layer does not import schemas).
        component = components.get(getattr(body, "__name__", ""))
        exactly_one_of: tuple[str, ...] = getattr(body, "exactly_one_of", ())
        if exactly_one_of and component is not None:
            # Inside `allOf`: a generated client (openapi-python-client) still makes one model of the body.
            component.all_of = [Schema(one_of=[_given(name, component) for name in exactly_one_of])]
    tagged: dict[str, tuple[str, str]] = {}  # a tagged union member's component: its tag field and tag
    for struct in _structs(msgspec.inspect.multi_type_info(bodies)):
        # A tagged union's member: its tag field (which Litestar adds as a bare constant) is described by the class.
        component = components.get(struct.cls.__name__)
        tag = (component.properties or {}).get(struct.tag_field or "") if component else None
        if isinstance(tag, Schema) and struct.tag_field and isinstance(struct.tag, str):
            tag.description = tag.description or inspect.getdoc(struct.cls)
            tagged[struct.cls.__name__] = (struct.tag_field, struct.tag)
    for component in components.values():
        _discriminate(component, tagged)
    _, decoded = msgspec.json.schema_components(bodies)
    for name, decoded_schema in decoded.items():
        component = components.get(name)
        if component is None:
            continue
        if decoded_schema.get("additionalProperties") is False:
            component.additional_properties = False
        for field, decoded_property in decoded_schema.get("properties", {}).items():
            generated = (component.properties or {}).get(field)
            # An optional list (`list[X] | UnsetType`) is an array inside `oneOf`: its items are there.
            if isinstance(generated, Schema) and generated.items is None and generated.one_of:
                generated = next((s for s in generated.one_of if isinstance(s, Schema) and s.items), generated)
            items = decoded_property.get("items") or next(
                (s["items"] for s in decoded_property.get("anyOf", []) if isinstance(s, dict) and "items" in s), None
            )
            if isinstance(generated, Schema) and isinstance(generated.items, Schema) and isinstance(items, dict):
                for keyword, attribute in ITEM_CONSTRAINTS.items():
                    if keyword in items and getattr(generated.items, attribute) is None:
                        setattr(generated.items, attribute, items[keyword])


def _given(field: str, component: Schema) -> Schema:
    """A `oneOf` branch of `RequestBody.exactly_one_of`: this field is there and not null."""
    described = (component.properties or {}).get(field)
    description = described.description if isinstance(described, Schema) else None
    given = Schema(schema_not=Schema(type=OpenAPIType.NULL), description=f"Given (not null): {description}")
    return Schema(required=[field], properties={field: given})


def _discriminate(schema: Schema, tagged: dict[str, tuple[str, str]]) -> None:
    """Give a `oneOf` of tagged union members (Litestar renders a msgspec tagged union as a bare `oneOf`) the
    `discriminator` that names the tag field and which member each tag means, here and in nested schemas."""
    members = [m.ref.rsplit("/", 1)[-1] for m in schema.one_of or () if isinstance(m, Reference)]
    fields = {tagged[name][0] for name in members if name in tagged}
    if members and len(fields) == 1 and all(name in tagged for name in members):
        mapping = {tagged[name][1]: f"#/components/schemas/{name}" for name in members}
        schema.discriminator = Discriminator(property_name=fields.pop(), mapping=mapping)
    nested = [*(schema.properties or {}).values(), schema.items, *(schema.one_of or ())]
    for inner in nested:
        if isinstance(inner, Schema):
            _discriminate(inner, tagged)


def _structs(types: Iterable[msgspec.inspect.Type]) -> Iterator[msgspec.inspect.StructType]:
    """Every Struct type in these types, nested ones too, once each."""
    seen: set[type] = set()
    pending = list(types)
    while pending:
        found = pending.pop()
        if isinstance(found, msgspec.inspect.StructType):
            if found.cls not in seen:
                seen.add(found.cls)
                pending.extend(field.type for field in found.fields)
                yield found
        elif isinstance(found, msgspec.inspect.Metadata):
            pending.append(found.type)
        elif isinstance(found, msgspec.inspect.UnionType):
            pending.extend(found.types)
        elif isinstance(found, (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType)):
            pending.append(found.item_type)
        elif isinstance(found, msgspec.inspect.DictType):
            pending.append(found.value_type)


def _require_headers(parameters: list[Parameter], *, precondition: bool) -> None:
    """The routes read these headers as optional so that a missing one is answered with our own problem (400
    `idempotency_key_required`, 428 `precondition_required`); to a client they are required all the same."""
    for parameter in parameters:
        if parameter.param_in != "header":
            continue
        if parameter.name == IDEMPOTENCY_KEY:
            parameter.required = True
            parameter.schema = Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern=r"^[\x20-\x7e]+$")
        elif parameter.name == "If-Match" and precondition:
            parameter.required = True
            parameter.schema = Schema(type=OpenAPIType.STRING, min_length=1)


_COMPLETED: dict[tuple[str, ...], OpenAPI] = {}
"""Completed documents by route set: every app of a process with the same routes shares one (tests make hundreds)."""


CSV_MEDIA_TYPE = "text/csv"


def csv_alternative(route: dict[str, Any]) -> dict[str, Any]:
    """Route keyword arguments (from `requires`) of a JSON route that also answers `Accept: text/csv`.

    The handler returns `Page[T] | Response[str]`; the spec shows the JSON page, and the CSV beside it.
    """
    return {**route, "opt": {**route.get("opt", {}), "csv_alternative": True}}


def _offer_csv(responses: dict[str, Any]) -> None:
    success = responses.get("200")
    if not isinstance(success, OpenAPIResponse) or not success.content:
        return
    json_body = success.content.get("application/json")
    if json_body is not None and isinstance(json_body.schema, Schema) and json_body.schema.one_of:
        json_body.schema = json_body.schema.one_of[0]  # the page; the other member is the CSV Response
    success.content[CSV_MEDIA_TYPE] = OpenAPIMediaType(
        schema=Schema(type=OpenAPIType.STRING, description="RFC 4180 CSV with a header row.")
    )


def problem_example(status: int, code: str, *, oauth: bool = False, rfc6749: bool = False) -> LiteralExample:
    """The example of an error response: a whole problem body of this status and code, as the API answers it. At
    /oauth/* (`oauth`) the detail is worded for those endpoints where OAUTH_DETAILS says so, and Authlib's refusals
    (`rfc6749`) repeat `code` and `detail` as RFC 6749's `error` and `error_description`."""
    from api.http.errors import problem_title

    body: dict[str, Any] = {
        "type": f"urn:prakerja:problem:{code}",
        "title": problem_title(status, code),
        "status": status,
        "code": code,
    }
    # The spec lint requires a detail for every code an example shows.
    detail = (OAUTH_DETAILS.get(code) if oauth else None) or DETAILS.get(code)
    if detail is not None:
        body["detail"] = detail
    if rfc6749:
        body["error"] = code
        if detail is not None:
            body["error_description"] = detail
    return LiteralExample(summary=f"{status} {code}", value=body)


def _shared_problem(schema: OpenAPI, status: int, code: str, *, oauth: bool, rfc6749: bool) -> Reference:
    """A reference to the problem example of this status and code, kept once in `components/examples` (an
    `oauth-` one for a detail worded for /oauth/*: there a code is answered one way only, RFC 6749's or not)."""
    oauth = rfc6749 or (oauth and code in OAUTH_DETAILS)
    name = f"{'oauth-' if oauth else ''}problem-{status}-{code}"
    if schema.components.examples is None:
        schema.components.examples = {}
    schema.components.examples.setdefault(name, problem_example(status, code, oauth=oauth, rfc6749=rfc6749))
    return Reference(ref=f"#/components/examples/{name}")


def _named(operation_id: str, summary: str, value: Any) -> dict[str, Example | Reference]:
    return {operation_id: LiteralExample(summary=summary, value=value)}


def _attach_examples(operation: Operation, responses: dict[str, Any], example: OperationExample) -> None:
    """Put an operation's hand-written example on its request body and on its success response (the JSON one when
    a response also offers CSV)."""
    assert operation.operation_id is not None
    if example.request is not None and isinstance(operation.request_body, RequestBody):
        for media in operation.request_body.content.values():
            media.examples = _named(operation.operation_id, example.summary, example.request)
    if example.response is None:
        return
    for status in sorted(responses):
        success = responses[status]
        if int(status) >= 300 or not isinstance(success, OpenAPIResponse) or not success.content:
            continue
        media = success.content.get("application/json") or next(iter(success.content.values()))
        media.examples = _named(operation.operation_id, example.summary, example.response)
        return


def document_errors(app: Litestar) -> None:
    """Complete the generated OpenAPI document: every problem a route can answer is added to its operation,
    each `code` listed under its status; optional bodies are marked optional; request schemas say what the
    decoder refuses.

    Routes declare their rule violations with `requires(..., errors=[...])`; authentication, input,
    idempotency and availability problems follow from the route's shape.
    """
    from api.http.errors import DOMAIN_STATUS

    plugin = app.plugins.get(OpenAPIPlugin)
    routes = tuple(sorted(f"{sorted(route.methods)} {route.path}" for route in app.routes))
    completed = _COMPLETED.get(routes)
    if completed is not None:
        plugin._openapi = completed  # the same routes give the same document: build it once per process
        return
    declared: dict[str, dict[str, Any]] = {}
    optional_body: set[str] = set()
    for handler in _handlers(app):
        operation_id = handler.operation_id if isinstance(handler.operation_id, str) else None
        if operation_id:
            declared[operation_id] = handler.opt
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and data.is_optional:
                optional_body.add(operation_id)
    schema = app.openapi_schema
    if schema.components.schemas is None:
        schema.components.schemas = {}
    _describe_request_bodies(app, schema.components.schemas)
    schema.components.schemas["Problem"] = PROBLEM_SCHEMA
    examples = examples_by_operation()
    for path, path_item in (schema.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(path_item, method, None)
            if operation is None or operation.operation_id is None:
                continue
            opt = declared.get(operation.operation_id, {})
            example = examples.get(operation.operation_id)
            if opt.get("own_error_responses"):
                # The compatibility layer documents its own (enveloped) errors, with their examples.
                _document_headers(operation, operation.responses or {}, idempotent=False)
                if example is not None:
                    _attach_examples(operation, operation.responses or {}, example)
                continue
            if operation.operation_id in optional_body and isinstance(operation.request_body, RequestBody):
                # Litestar marks every body required; `data: X | None = None` means it may be left out.
                operation.request_body.required = False
            codes: dict[int, list[str]] = {}
            if opt.get("scopes") is not None:
                _merge(codes, PROTECTED_CODES)
            if path.startswith(PROGRAMME_PATH) or set(opt.get("scopes") or ()) & set(PROGRAMME_SCOPES):
                _merge(codes, {404: ["not_found"]})  # the programme's operations do not exist for a partner
            parameters = [p for p in operation.parameters or [] if isinstance(p, Parameter)]
            if any(p.param_in == "path" for p in parameters):
                _merge(codes, {404: ["not_found"]})
            if operation.request_body is not None or parameters:
                _merge(codes, INPUT_CODES)
            if operation.request_body is not None:
                _merge(codes, BODY_CODES)
            if isinstance(operation.request_body, RequestBody) and "application/json" in (
                operation.request_body.content or {}
            ):
                _merge(codes, JSON_BODY_CODES)
            if isinstance(operation.request_body, RequestBody) and FORM_MEDIA_TYPE in (
                operation.request_body.content or {}
            ):
                _merge(codes, FORM_BODY_CODES)
            _merge(codes, OAUTH_CODES.get(operation.operation_id, {}))
            for error in opt.get("errors", ()):
                _merge(codes, {DOMAIN_STATUS.get(error.code, 409): [error.code]})
            if any(p.name == IDEMPOTENCY_KEY for p in parameters):
                # After the operation's own refusals: a 409's example is its first code, a rule like
                # `voucher_already_redeemed` rather than a retry that came too soon.
                _merge(codes, IDEMPOTENT_CODES)
            _merge(codes, COMMON_CODES)
            _require_headers(parameters, precondition=428 in codes)
            # Litestar's own error responses (its 400 "Validation Exception") are not what we send.
            responses = {k: v for k, v in (operation.responses or {}).items() if int(k) < 400}
            created = responses.get("201")
            if isinstance(created, OpenAPIResponse):
                created.headers = {**(created.headers or {}), "Location": LOCATION_HEADER}
            if opt.get("csv_alternative"):
                _offer_csv(responses)
            if example is not None:
                _attach_examples(operation, responses, example)
            # Authlib's refusals (400, 401) come in RFC 6749's words; a throttle, a wrong media type (refused before
            # Authlib sees the request) or an outage is a plain problem.
            oauth_operation = operation.operation_id in OAUTH_CODES
            rfc6749 = {status for status in OAUTH_CODES.get(operation.operation_id, {}) if status < 429}
            for status, names in sorted(codes.items()):
                listing = "; ".join(f"`{name}`" for name in names)
                responses[str(status)] = OpenAPIResponse(
                    description=f"Problem (application/problem+json) with `code`: {listing}.",
                    content={
                        "application/problem+json": OpenAPIMediaType(
                            schema=Reference(ref="#/components/schemas/Problem"),
                            # One example per status: its first code, so a 401 never shows a 409's body.
                            examples={
                                names[0]: _shared_problem(
                                    schema, status, names[0], oauth=oauth_operation, rfc6749=status in rfc6749
                                )
                            },
                        )
                    },
                )
            if operation.operation_id in REVALIDATED_OPERATIONS:
                operation.parameters = [*(operation.parameters or []), IF_NONE_MATCH]
                responses["304"] = OpenAPIResponse(
                    description="Not Modified: the `If-None-Match` you sent is the current `ETag`; no body."
                )
            operation.responses = responses
            _document_headers(operation, responses, idempotent=any(p.name == IDEMPOTENCY_KEY for p in parameters))
    schema = _group_tags(schema)
    plugin._openapi = schema
    _COMPLETED[routes] = schema
