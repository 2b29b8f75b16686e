"""The docs teach: every operation explains itself, names its scopes and lists the problems it can answer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from playwright.async_api import async_playwright, expect

from api.__main__ import openapi_document
from domain.clients import ALL_SCOPES
from tests.auth import Credentials
from tests.factories import course_body
from tests.portal_support import CHROMIUM as CHROMIUM_PATH
from tests.portal_support import CHROMIUM_ARGS

API_ERROR_CODES = [
    "invalid_request", "validation_failed", "not_found", "invalid_token", "insufficient_scope", "rate_limited",
    "precondition_failed", "precondition_required", "idempotency_key_required", "idempotency_key_reused",
    "idempotency_request_in_progress", "invalid_state_transition", "course_rule_violated",
    "voucher_already_redeemed", "voucher_expired", "voucher_cancelled", "voucher_fraudulent",
    "voucher_void_not_allowed",
    "redemption_window_closed", "learner_already_enrolled", "participant_frozen", "participant_revoked",
    "insufficient_balance", "active_training_exists", "course_already_purchased", "course_not_on_sale",
    "schedule_full", "attendance_incomplete", "assessment_missing", "completion_too_early", "not_completed",
    "certificate_number_taken", "partner_suspended", "service_unavailable",
]  # fmt: skip


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_operation_explains_itself() -> None:
    for path, method, operation in operations(openapi_document()):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert len(operation.get("description", "")) > 20, where


def test_protected_operations_name_their_scopes_and_auth_problems() -> None:
    for path, method, operation in operations(openapi_document()):
        if not operation.get("security"):
            continue
        where = f"{method.upper()} {path}"
        assert "oauth2" in operation["security"][0], where
        assert "invalid_token" in operation["responses"]["401"]["description"], where
        assert "insufficient_scope" in operation["responses"]["403"]["description"], where


def test_every_problem_response_is_problem_json() -> None:
    for path, method, operation in operations(openapi_document()):
        if operation["tags"] == ["Compatibility"]:
            continue  # the incumbent's envelope (tests/integration/test_compatibility.py)
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                content = response["content"]["application/problem+json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Problem"}, (path, method, status)


def test_every_error_code_of_the_contract_is_documented() -> None:
    text = " ".join(
        response["description"]
        for _, _, operation in operations(openapi_document())
        for response in operation["responses"].values()
    )
    documented = set(re.findall(r"`([a-z_]+)`", text))
    assert set(API_ERROR_CODES) - documented == set()


def test_money_operations_document_their_rule_violations() -> None:
    spec = openapi_document()
    redeem = spec["paths"]["/v1/vouchers/{code}/redeem"]["post"]["responses"]["409"]["description"]
    for code in ("voucher_already_redeemed", "redemption_window_closed", "learner_already_enrolled"):
        assert code in redeem
    headers = [p["name"] for p in spec["paths"]["/v1/vouchers/{code}/redeem"]["post"]["parameters"]]
    assert "Idempotency-Key" in headers


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--virtual-time-budget=15000",
]  # fmt: skip


def browse(*arguments: str) -> subprocess.CompletedProcess[str]:
    # Fails rather than skips: `.ci/run` installs Debian's chromium where it is missing.
    assert CHROMIUM is not None, "Chromium is not installed: `apt-get install -y chromium` (.ci/run does it)"
    return subprocess.run(  # noqa: S603
        [CHROMIUM, *BROWSER_FLAGS, *arguments], capture_output=True, text=True, timeout=120, check=False
    )


def test_docs_render_in_a_real_browser_without_internet(live_url: str) -> None:
    result = browse("--dump-dom", f"{live_url}/docs")
    dom = result.stdout
    assert "swagger-ui" in dom, result.stderr[-2000:]
    for operation in ("redeemVoucher", "issueToken", "searchCatalogue"):
        assert operation in dom, operation


def test_docs_screenshots_are_kept_as_artefacts(live_url: str) -> None:
    """Screenshots of /docs (the overview, the redeem operation expanded, and the integration guide served beside the
    reference) under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The deep link opens the redeem operation and scrolls to it; a tall window keeps it in the frame.
    shots = {
        "docs.png": (f"{live_url}/docs", 1400),
        "docs-redeem.png": (f"{live_url}/docs#/Partner%3A%20vouchers/redeemVoucher", 6000),
        "docs-guide.png": (f"{live_url}/docs/guides/integration", 2400),
    }
    for name, (url, height) in shots.items():
        target = ARTIFACTS / name
        target.unlink(missing_ok=True)
        result = browse(f"--screenshot={target}", f"--window-size=1280,{height}", url)
        assert target.exists(), result.stderr[-2000:]
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert target.stat().st_size > 20_000, f"{name} looks blank"


def test_every_redemption_refusal_is_explained_in_docs_errors_md() -> None:
    spec = openapi_document()
    redeem = spec["paths"]["/v1/vouchers/{code}/redeem"]["post"]["responses"]
    refusals = set(re.findall(r"`([a-z_]+)`", redeem["409"]["description"] + redeem["404"]["description"]))
    refusals -= {"code", "idempotency_request_in_progress"}  # the word itself; a retry timing problem
    guide = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    section = guide.split("## Redemption refusals", 1)[1].split("\n## ", 1)[0]
    explained = set(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, flags=re.MULTILINE))
    assert {code for code, _ in explained} == refusals
    every_code = set(re.findall(r"^\| `([a-z_]+)` \|", guide, flags=re.MULTILINE))
    assert set(API_ERROR_CODES) <= every_code


async def test_authorize_in_the_docs_gets_a_token_from_a_client_id_and_secret(
    live_url: str,
    partner_a: Credentials,
) -> None:
    """Swagger UI's Authorize runs the client credentials flow the spec declares, and "Try it out" then uses it."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{live_url}/docs#/Partner%3A%20me/getMe")
            await page.locator(".auth-wrapper .authorize").click()
            dialog = page.locator(".modal-ux")
            await dialog.locator("input[data-name='clientId']").fill(partner_a.client_id)
            await dialog.locator("input[data-name='clientSecret']").fill(partner_a.client_secret)
            async with page.expect_response(lambda r: r.url.endswith("/oauth/token")) as token_answer:
                await dialog.locator("button.modal-btn.authorize").click()
            assert (await token_answer.value).status == 200
            await expect(dialog.locator("button.modal-btn", has_text="Logout")).to_be_visible()
            await dialog.locator("button.btn-done").click()

            operation = page.locator("[id^='operations-'][id$='-getMe']")
            if not await operation.locator("button.try-out__btn").is_visible():
                await operation.locator(".opblock-summary").click()
            await operation.locator("button.try-out__btn").click()
            async with page.expect_response(lambda r: r.url.endswith("/v1/me")) as me_answer:
                await operation.locator("button.execute").click()
            me = await me_answer.value
            assert me.status == 200
            assert (await me.json())["client_id"] == partner_a.client_id
        finally:
            await browser.close()


def test_the_security_scheme_is_the_client_credentials_flow_with_every_scope() -> None:
    spec = openapi_document()
    scheme = spec["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert set(flow["scopes"]) == set(ALL_SCOPES)
    assert all(len(description) > 10 for description in flow["scopes"].values())
    named = {
        scope
        for _, _, operation in operations(spec)
        for need in operation.get("security", [])
        for scope in need["oauth2"]
    }
    assert named <= set(ALL_SCOPES)
    assert {"vouchers:redeem", "programme:finance", "sandbox:simulate"} <= named


def test_operations_are_grouped_by_audience_in_journey_order() -> None:
    spec = openapi_document()
    order = [tag["name"] for tag in spec["tags"]]
    assert all(tag.get("description") for tag in spec["tags"])
    groups = [group["name"] for group in spec["x-tagGroups"]]
    assert groups == ["Public", "OAuth", "Partner", "Sandbox", "Programme", "Compatibility"]
    assert [tag for group in spec["x-tagGroups"] for tag in group["tags"]] == order
    partner = [name.removeprefix("Partner: ") for name in order if name.startswith("Partner: ")]
    journey = [
        "me",
        "courses",
        "schedules",
        "vouchers",
        "enrollments",
        "certificates",
        "events",
        "webhooks",
        "statements",
    ]
    assert partner == journey
    for path, method, operation in operations(spec):
        assert len(operation["tags"]) == 1, (method, path)
        assert operation["tags"][0] in order, (method, path)
        if path.startswith("/v1/programme/"):
            assert operation["tags"][0].startswith("Programme: "), path
        if path.startswith("/v1/sandbox/"):
            assert operation["tags"] == ["Sandbox"], path
    tag_of = {operation["operationId"]: operation["tags"][0] for _, _, operation in operations(spec)}
    assert tag_of["redeemVoucher"] == "Partner: vouchers"
    assert tag_of["addSchedule"] == "Partner: schedules"
    assert tag_of["issueCertificate"] == "Partner: certificates"
    assert tag_of["verifyCertificate"] == "Public: certificate verification"
    assert tag_of["issueToken"] == "OAuth"


def _schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    reference = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component: dict[str, Any] = spec["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return component


def test_the_oauth_answers_have_real_schemas() -> None:
    spec = openapi_document()
    token = _schema(spec, "/oauth/token", "post")
    assert set(token["required"]) == {"access_token", "token_type", "expires_in", "scope"}
    assert token["properties"]["expires_in"]["type"] == "integer"
    introspection = _schema(spec, "/oauth/introspect", "post")
    assert introspection["required"] == ["active"]
    assert {"scope", "client_id", "exp", "iat", "sub", "aud", "iss", "jti", "token_type"} <= set(
        introspection["properties"]
    )
    assert _schema(spec, "/oauth/revoke", "post")["type"] == "object"
    metadata = _schema(spec, "/.well-known/oauth-authorization-server", "get")
    assert {"issuer", "token_endpoint", "jwks_uri", "scopes_supported"} <= set(metadata["required"])
    keys = _schema(spec, "/.well-known/jwks.json", "get")
    assert keys["required"] == ["keys"]


DOCUMENTED_HEADERS = {"location", "etag", "retry-after", "ratelimit", "ratelimit-policy", "x-request-id"}


def _undocumented(spec: dict[str, Any], path: str, method: str, response: Any) -> set[str]:
    documented = spec["paths"][path][method]["responses"][str(response.status_code)].get("headers", {})
    sent = {name.lower() for name in response.headers} & (DOCUMENTED_HEADERS | {"idempotent-replayed"})
    return sent - {name.lower() for name in documented}


def test_every_response_documents_the_headers_it_may_carry() -> None:
    spec = openapi_document()
    for name in ("Location", "ETag", "Retry-After", "RateLimit", "RateLimit-Policy", "X-Request-Id"):
        assert spec["components"]["headers"][name]["description"], name
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert headers.get("X-Request-Id") == {"$ref": "#/components/headers/X-Request-Id"}, (method, path, status)
            if status == "201":
                assert "Location" in headers, (method, path)
            if status == "429":
                assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(headers), (method, path)
    redeem = spec["paths"]["/v1/vouchers/{code}/redeem"]["post"]["responses"]
    assert "Idempotent-Replayed" in redeem["201"]["headers"]
    assert "ETag" in spec["paths"]["/v1/courses/{course_id}"]["get"]["responses"]["200"]["headers"]
    assert spec["components"]["headers"]["X-Request-Id"]["required"] is True


async def test_the_headers_the_server_sends_are_the_documented_ones(
    client: AsyncTestClient[Any], partner_a: Credentials
) -> None:
    spec = openapi_document()
    created = await client.post("/v1/courses", json=course_body(), headers=partner_a.headers)
    assert {"location", "etag", "x-request-id"} <= set(created.headers)
    assert _undocumented(spec, "/v1/courses", "post", created) == set()
    shown = await client.get(created.headers["location"], headers=partner_a.headers)
    assert "etag" in shown.headers
    assert _undocumented(spec, "/v1/courses/{course_id}", "get", shown) == set()
    catalogue = await client.get("/v1/catalogue/courses")
    assert _undocumented(spec, "/v1/catalogue/courses", "get", catalogue) == set()
    me = await client.get("/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert me.status_code == 401
    assert _undocumented(spec, "/v1/me", "get", me) == set()
