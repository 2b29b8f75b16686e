"""Generated API tests from the committed spec (Schemathesis) against a real sandbox server.

Every operation of `openapi/openapi.json` is called with positive and negative data (the coverage phase's
boundary and malformed values, then Hypothesis fuzzing), authenticated as the caller it is meant for (the
programme on `/v1/programme/*`, partner A or now and then partner B elsewhere, a client secret on `/oauth/*`;
what both may call, such as public reads and `GET /v1/me`, by each in turn, and public reads also by nobody),
and every other case names a real seeded object in its path, so requests reach the business rules and not only
the token guard or a 404. A stateful run chains calls through the links Schemathesis infers from the spec (an id
one response returns is the path parameter of the next request). The seeding itself walks the happy path
(course, curation, sale, redemption, learning, completion, certificate) and checks each of those responses
against the spec too.

Every check Schemathesis 4 has runs, as `st run --checks all` would: the responses' status, schema, content type
and headers; never a server error; schema-valid input accepted and schema-violating input refused; a missing
required header refused; an undocumented method answered 405 with `Allow`, and OPTIONS' `Allow` equal to the
documented methods; credentials enforced (`ignored_auth` sends the request again without them); and, in the
stateful run, `use_after_free` and `ensure_resource_availability`. `max_response_time` is a limit, not a check.
`object_level_authorization` runs but has nothing to compare until the run is given a WFC auth document naming
peers; tenancy is exercised here by partner B calling partner A's objects, and asserted in tests/security/.

`positive_data_acceptance` (a schema-valid request must not be refused) runs everywhere. The shape rules JSON
Schema can state are in the spec, from the same msgspec types the decoder uses: a transfer result per status
(a tagged union: oneOf), a clock advance by exactly one of `seconds` and `to` (oneOf), a partner client's scopes
(enum), a webhook URL's form (format uri and a pattern). What it cannot state answers its documented 422, which
schemathesis.toml accepts for that operation only, each with its reason there too:
- reportSummary: `to` must be after `from` (an order between two parameters);
- setPayoutAccount: the account reference must fit the kind of a channel stored in the database;
- purchaseCourse, createTestVoucher: a schedule is required or forbidden by the stored course's format;
- createWebhookEndpoint: the URL's host must resolve to public addresses (a DNS lookup, outside sandbox) and is
  never a cloud metadata address;
- createClient: the environment must be the deployment's, and `sandbox:simulate` is for sandbox clients only;
- recordDisbursementResults: each transfer appears once in a request (unique by one field) and is in the batch.
The OAuth operations (issueToken, introspectToken, revokeToken) may answer their documented 400 `invalid_request`
to a schema-valid form: RFC 6749 §2.3 allows one client authentication method per request, and the HTTP Basic
header sits outside the form's schema.
`SCHEMATHESIS_PENDING` (check names, comma-separated) leaves checks out of a run by hand.

`make test` runs a bounded, deterministic run; `make fuzz` sets `SCHEMATHESIS_EXAMPLES` for a long, random one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import secrets
import threading
import time
import tomllib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters

from api.jobs.bootstrap import create_programme_client
from api.settings import Settings
from domain.clients import PARTNER_SCOPES
from tests.conftest import settings_for
from tests.database import REPO_ROOT, create_database, database_url, drop_database
from tests.factories import course_body, participant_body
from tests.live_server import serving

# Fuzzed examples per operation (and stateful scenarios); `make fuzz` raises it and drops determinism.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
LONG_RUN = "SCHEMATHESIS_EXAMPLES" in os.environ
STATEFUL_STEPS = 10
load_all_checks()  # the OpenAPI checks register themselves when their module is imported
PENDING = set(os.environ.get("SCHEMATHESIS_PENDING", "").split(",")) - {""}  # checks to leave out, by name
CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check.__name__ not in PENDING]
LOCKOUTS = {"suspendPartner", "disableClient", "rotateClientSecret"}
IDEMPOTENCY_KEY = "Idempotency-Key"
TOKEN_REFRESH_SECONDS = 600  # tokens live 900 s; a long run outlives many of them

# The project's Schemathesis settings (`st run` reads the same file), completed with this run's own.
PROJECT = tomllib.loads((REPO_ROOT / "schemathesis.toml").read_text())
CONFIG = schemathesis.Config.from_dict(
    {
        **PROJECT,
        "generation": {
            **PROJECT["generation"],
            "mode": "all",
            "max-examples": EXAMPLES,
            "deterministic": not LONG_RUN,
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            # Chains only go on from a success, so sequences are built from valid requests.
            "stateful": {"generation": {"mode": "positive"}, "max-steps": STATEFUL_STEPS},
        },
    }
)
# The committed contract (test_openapi_drift keeps it equal to what the app serves), called on the live server.
SCHEMA = schemathesis.openapi.from_path(REPO_ROOT / "openapi" / "openapi.json", config=CONFIG)
# Operations that answer without a token (no 401 documented), and those any authenticated client may call.
PUBLIC = {
    operation.path
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    if "401" not in operation.definition.raw["responses"]
}
EITHER_CALLER = PUBLIC | {"/v1/me"}
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@dataclass
class Caller:
    """A client we hold the secret of, with a token renewed well before it expires."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str
    _token: str = field(default="", repr=False)
    _fetched_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def authorization(self) -> str:
        with self._lock:
            if not self._token or time.monotonic() - self._fetched_at > TOKEN_REFRESH_SECONDS:
                response = httpx.post(
                    f"{self.base_url}/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(self.client_id, self.client_secret),
                    timeout=30,
                )
                assert response.status_code == 200, response.text
                self._token = response.json()["access_token"]
                self._fetched_at = time.monotonic()
            return f"Bearer {self._token}"

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()


@dataclass
class World:
    """The seeded sandbox: who calls, and real ids a path parameter may name."""

    base_url: str
    programme: Caller
    partner_a: Caller
    partner_b: Caller
    oauth_probe: Caller  # a client of its own for /oauth/*, whose throttling must not lock the others out
    real: dict[str, list[str]]
    own: set[str]  # the partners and clients the run calls as: it must not suspend, disable or rotate them


def conforms(response: httpx.Response) -> None:
    """What the seeding gets back is checked against the spec as well: documented status, schema."""
    response.read()
    operation = SCHEMA.find_operation_by_path(response.request.method, response.request.url.path)
    assert operation is not None, f"{response.request.method} {response.request.url.path} is not in the spec"
    assert operation.responses.find_by_status_code(response.status_code) is not None, (
        f"{operation.label} answered an undocumented {response.status_code}: {response.text}"
    )
    operation.validate_response(response)


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def _key() -> dict[str, str]:
    return {"Idempotency-Key": secrets.token_hex(12)}


def _client(http: httpx.Client, portal: dict[str, str], partner_id: str, name: str, scopes: list[str]) -> Caller:
    body = {"name": name, "environment": "sandbox", "scopes": scopes}
    created = _ok(http.post(f"/v1/programme/partners/{partner_id}/clients", json=body, headers=portal), 201)
    return Caller(created["client_id"], created["client_secret"], str(http.base_url).rstrip("/"))


def _partner(http: httpx.Client, portal: dict[str, str], name: str) -> tuple[str, Caller]:
    body = {"name": name, "kind": "platform", "contact_email": "ops@example.com"}
    partner = _ok(http.post("/v1/programme/partners", json=body, headers=portal), 201)
    return partner["id"], _client(http, portal, partner["id"], f"{name} integration", list(PARTNER_SCOPES))


def seed(settings: Settings, base_url: str) -> World:
    """A programme client; partners A and B, whose clients the run calls with, and C, which the run may suspend
    and whose client it may disable or rotate; and one of each object a path can name."""
    issued = asyncio.run(create_programme_client(settings, "Schemathesis portal", None))
    programme = Caller(issued.client_id, issued.client_secret, base_url)
    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [conforms]}) as http:
        portal = {"Authorization": programme.authorization}
        partner_a_id, partner_a = _partner(http, portal, "Partner A")
        partner_b_id, partner_b = _partner(http, portal, "Partner B")
        partner_c, client_c = _partner(http, portal, "Partner C")
        probe = _client(http, portal, partner_b_id, "OAuth probe", ["courses:read"])
        a = {"Authorization": partner_a.authorization}

        draft = _ok(http.post("/v1/courses", json=course_body(title="Draft course"), headers=a), 201)
        course = _ok(http.post("/v1/courses", json=course_body(), headers=a), 201)
        _ok(http.post(f"/v1/courses/{course['id']}/submit", headers=a), 200)
        _ok(http.post(f"/v1/programme/courses/{course['id']}/approve", headers=portal), 200)

        # A voucher the programme sold (which also keeps partner A's sandbox from being reset under the run).
        person = _ok(http.post("/v1/programme/participants", json=participant_body(), headers=portal), 201)
        purchase = {"course_id": course["id"]}
        url = f"/v1/programme/participants/{person['id']}/purchases"
        sold = _ok(http.post(url, json=purchase, headers={**portal, **_key()}), 201)

        # A sandbox voucher taught to completion and certified, and one redeemed and still in progress.
        learner = _ok(http.post("/v1/sandbox/participants", json={"scheme": "2024"}, headers=a), 201)
        purchase = {"course_id": course["id"], "participant_id": learner["id"]}
        taught = _ok(http.post("/v1/sandbox/vouchers", json=purchase, headers=a), 201)
        url = f"/v1/vouchers/{taught['code']}/redeem"
        enrollment = _ok(http.post(url, json={"learner_ref": "lms-1"}, headers={**a, **_key()}), 201)
        url = f"/v1/enrollments/{enrollment['id']}"
        now = _ok(http.get("/v1/sandbox/clock", headers=a), 200)["now"]
        for sequence in range(1, 6):
            _ok(http.put(f"{url}/attendance/{sequence}", json={"attended_at": now}, headers=a), 200)
        _ok(http.put(f"{url}/assessment", json={"score": 88, "assessed_at": now}, headers=a), 200)
        advance = {"seconds": 6 * 24 * 3600}
        later = _ok(http.post("/v1/sandbox/clock/advance", json=advance, headers=a), 200)["now"]
        _ok(http.post(f"{url}/completion", json={"completed_at": later}, headers={**a, **_key()}), 200)
        issue = {"number": f"CERT-{secrets.token_hex(4)}", "issued_at": later}
        certificate = _ok(http.post(f"{url}/certificate", json=issue, headers={**a, **_key()}), 201)
        _ok(http.get(f"/v1/certificates/{certificate['id']}/verification"), 200)
        second = _ok(http.post("/v1/sandbox/vouchers", json={"course_id": course["id"]}, headers=a), 201)
        url = f"/v1/vouchers/{second['code']}/redeem"
        ongoing = _ok(http.post(url, json={"learner_ref": "lms-2"}, headers={**a, **_key()}), 201)
    return World(
        base_url=base_url,
        programme=programme,
        partner_a=partner_a,
        partner_b=partner_b,
        oauth_probe=probe,
        real={
            "course_id": [course["id"], draft["id"]],
            "participant_id": [person["id"], learner["id"]],
            "code": [sold["code"], taught["code"], second["code"]],
            "enrollment_id": [enrollment["id"], ongoing["id"]],
            "certificate_id": [certificate["id"]],
            "partner_id": [partner_c],
            "client_id": [client_c.client_id],
            "sequence": ["1", "5"],
        },
        own={partner_a_id, partner_b_id, *(c.client_id for c in (programme, partner_a, partner_b, probe))},
    )


@pytest.fixture(scope="module")
def world(admin_url: str, template_database: str) -> Iterator[World]:
    """One seeded sandbox server for the module (a database of its own, dropped afterwards)."""
    name = create_database(admin_url, template=template_database)
    settings = replace(settings_for(database_url(admin_url, name)), app_env="sandbox")  # the committed spec's mode
    try:
        with serving(settings) as url:
            yield seed(settings, url)
    finally:
        drop_database(admin_url, name)


def _authorization(world: World, path: str, draw: int) -> dict[str, str]:
    """Who calls: the programme on its paths; partner A, or for one draw in four B (to whom A's objects are
    foreign); on /oauth/* a client authenticating with its secret, or only what the generated form says. What both
    a partner and the programme may call (public reads, `GET /v1/me`) is called by each, and by nobody if public."""
    if path.startswith("/oauth/"):
        return {"Authorization": world.oauth_probe.basic} if draw % 2 else {}
    if path.startswith("/v1/programme/"):
        return {"Authorization": world.programme.authorization}
    if path in EITHER_CALLER and draw == 1:
        return {"Authorization": world.programme.authorization}
    if path in PUBLIC and draw == 2:
        return {}
    caller = world.partner_b if draw == 0 else world.partner_a
    return {"Authorization": caller.authorization}


def _draw(case: schemathesis.Case) -> int:
    """A number that follows from what was generated, so the choices it makes replay with the example."""
    body = None if isinstance(case.body, NotSet) else case.body
    seen = (case.operation.label, case.path_parameters, case.query, case.headers, body)
    return zlib.crc32(repr(seen).encode())


WELL_FORMED_KEY = re.compile(r"[\x20-\x7e]{1,255}")


def _one_key_per_request(case: schemathesis.Case) -> None:
    """Make a well-formed generated `Idempotency-Key` specific to the request it is sent with.

    The contract asks a client for a new key for every new request (a key sent again with a different request is
    422 `idempotency_key_reused`, as the IETF Idempotency-Key draft has it); generation draws the same few keys
    ("0") for many different requests, which no client following the contract would send. The same request keeps
    the same key, so replays are still exercised; a malformed key is left as generated, to be refused.
    """
    key = (case.headers or {}).get(IDEMPOTENCY_KEY)
    if isinstance(key, str) and WELL_FORMED_KEY.fullmatch(key):
        body = None if isinstance(case.body, NotSet) else case.body
        request = (case.operation.label, case.path_parameters, case.query, key, body)
        case.headers[IDEMPOTENCY_KEY] = hashlib.sha256(repr(request).encode()).hexdigest()


def _negates_authorization(case: schemathesis.Case) -> bool:
    """Whether the case was generated to be refused for its `Authorization` header (missing or malformed)."""
    return any(
        name.lower() == "authorization" and location == ParameterLocation.HEADER
        for name, location in negated_parameters(case.meta)
    )


# What the fuzzer once found, replayed on every run: (method, path, request, the status it must now answer).
PARTICIPANT = participant_body()
FINDINGS: dict[str, tuple[str, str, dict[str, Any], int]] = {
    "NUL in text was a 500": ("POST", "/v1/sandbox/vouchers", {"json": {"course_id": "crs_\x00"}}, 422),
    "a max_price beyond int64 was a 500": ("GET", "/v1/catalogue/courses", {"params": {"max_price": 2**70}}, 422),
    "a time PostgreSQL cannot hold was a 500": (
        "GET",
        "/v1/enrollments",
        {"params": {"updated_since": "0001-01-01T00:00:00+14:00"}},
        422,
    ),
    "year 1 was stored as -infinity (its purchases were 500s)": (
        "POST",
        "/v1/programme/participants",
        {"json": {**PARTICIPANT, "accepted_at": "0001-01-01T00:00:00Z"}},
        422,
    ),
    "year 9999 overflowed on purchase": (
        "POST",
        "/v1/programme/participants",
        {"json": {**PARTICIPANT, "accepted_at": "9999-12-31T23:00:00Z"}},
        422,
    ),
    "a time without offset was a 500": (
        "PUT",
        "/v1/enrollments/{enrollment_id}/attendance/1",
        {"json": {"attended_at": "2030-01-01T00:00:00"}},
        422,
    ),
    "an unknown course in the body: undocumented 404": (
        "POST",
        "/v1/sandbox/vouchers",
        {"json": {"course_id": "crs_unknown"}},
        404,
    ),
    "a failed client authentication: undocumented 401": (
        "POST",
        "/oauth/token",
        {"data": {"grant_type": "client_credentials", "client_id": "cli_unknown", "client_secret": "x"}},
        401,
    ),
    "an optional body left out was documented as required": (
        "POST",
        "/v1/programme/courses/{course_id}/reinstate",
        {},
        409,
    ),
}


@pytest.mark.parametrize("finding", FINDINGS)
def test_what_the_fuzzer_found_stays_fixed(world: World, finding: str) -> None:
    method, template, request, status = FINDINGS[finding]
    path = template.format(enrollment_id=world.real["enrollment_id"][1], course_id=world.real["course_id"][0])
    headers = _authorization(world, template, 1) if not template.startswith("/oauth/") else {}
    with httpx.Client(base_url=world.base_url, timeout=30, event_hooks={"response": [conforms]}) as http:
        response = http.request(method, path, headers=headers, **request)
    assert response.status_code == status, response.text


@SCHEMA.parametrize()
@SETTINGS
def test_every_operation_conforms_to_the_spec(case: schemathesis.Case, world: World) -> None:
    draw = _draw(case)
    real = {name: ids for name, ids in world.real.items() if name in (case.path_parameters or {})}
    if real and draw % 2:
        for name, ids in real.items():
            case.path_parameters[name] = ids[(draw >> 4) % len(ids)]
    _one_key_per_request(case)
    # A case whose negation is its credentials goes out with them as generated (left out or malformed).
    headers = {} if _negates_authorization(case) else _authorization(world, case.operation.path, (draw >> 8) % 4)
    case.call_and_validate(base_url=world.base_url, headers=headers, checks=CHECKS)


def test_linked_sequences_conform_to_the_spec(world: World) -> None:
    """Stateful: sequences in which a response feeds the next request, over the links inferred from the spec.

    Failures are collected, not raised: the server keeps its state between scenarios, so Hypothesis could not
    replay a failing sequence to shrink it, and would report that instead of the failure.
    """
    failures: dict[str, str] = {}

    class Sequences(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            _one_key_per_request(case)
            # A link may lead from a listing to the run's own partner or client: aim those at partner C's.
            if case.operation.definition.raw.get("operationId") in LOCKOUTS:
                for name, value in list(case.path_parameters.items()):
                    if value in world.own:
                        case.path_parameters[name] = world.real[name][0]

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            # One partner throughout, so what it creates it can go on to use.
            return {"base_url": world.base_url, "headers": _authorization(world, case.operation.path, 1)}

        def validate_response(self, response: Any, case: schemathesis.Case, *_: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures.setdefault(
                        f"{case.operation.label}: {failure.title}",
                        f"{failure.message}\n{case.as_curl_command(headers=dict(response.request.headers))}",
                    )

    Sequences.run(settings=hypothesis.settings(SETTINGS, stateful_step_count=STATEFUL_STEPS))
    assert not failures, "\n\n".join(f"{where}\n{what}" for where, what in failures.items())


# The operations whose schema-valid requests may answer 422 (see the module docstring and schemathesis.toml).
RULES_BEYOND_THE_SCHEMA = {
    "reportSummary",
    "setPayoutAccount",
    "purchaseCourse",
    "createTestVoucher",
    "createWebhookEndpoint",
    "createClient",
    "recordDisbursementResults",
}


def test_only_rules_the_schema_cannot_state_may_refuse_valid_input() -> None:
    accepting: set[str] = set()
    for block in PROJECT.get("operations", []):
        expected = block["checks"]["positive_data_acceptance"]["expected-statuses"]
        named = block["include-operation-id"]
        if 422 in expected:
            accepting |= {named} if isinstance(named, str) else set(named)
    assert accepting == RULES_BEYOND_THE_SCHEMA
    documented = {
        operation.definition.raw["operationId"]
        for operation in (result.ok() for result in SCHEMA.get_all_operations())
        if "422" in operation.definition.raw["responses"]
    }
    assert accepting <= documented  # each of them documents the 422 it answers
    assert 422 not in PROJECT["checks"]["positive_data_acceptance"]["expected-statuses"]
