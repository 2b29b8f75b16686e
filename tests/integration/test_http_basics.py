"""The HTTP edge's promises: problem+json for every error, request ids, health, docs without internet."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from api.app import asgi_app, create_app
from api.http.request_context import RequestContext
from api.settings import MAX_BODY_BYTES, Settings

Client = AsyncTestClient[Any]


class ProbeBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    price: int


@post("/probe/echo")
async def echo(data: JSONBody[ProbeBody]) -> ProbeBody:
    return data


@post("/probe/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail: SELECT * FROM vouchers")


@pytest.fixture
async def probe_client(settings: Settings) -> AsyncIterator[Client]:
    """The real app with two extra routes that accept a body and that fail unexpectedly."""
    app = create_app(settings)
    app.register(echo)
    app.register(boom)
    async with AsyncTestClient(app=RequestContext(app)) as probe:  # type: ignore[arg-type]
        yield probe


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:prakerja:problem:{code}"
    assert body["title"]
    return body


async def test_liveness_and_readiness(client: Client) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    assert (await client.get("/health/ready")).json() == {"status": "ok"}


async def test_readiness_is_503_with_retry_after_when_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", pool_min_size=0)
    async with AsyncTestClient(app=asgi_app(settings)) as down:  # type: ignore[arg-type]
        response = await down.get("/health/ready")
        assert_problem(response, 503, "service_unavailable")
        assert response.headers["retry-after"].isdigit()
        assert (await down.get("/health/live")).status_code == 200


async def test_unknown_path_is_problem_404(client: Client) -> None:
    for path in ("/nope", "/v1/nothing/here", "/docs/nothing/deeper"):
        assert_problem(await client.get(path), 404, "not_found")


async def test_wrong_method_is_problem_405(client: Client) -> None:
    assert_problem(await client.delete("/health/live"), 405, "method_not_allowed")


async def test_malformed_json_is_400(probe_client: Client) -> None:
    response = await probe_client.post(
        "/probe/echo", content=b'{"name": "x", ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "invalid_request")


async def test_schema_violation_is_422_with_field_errors(probe_client: Client) -> None:
    body = assert_problem(await probe_client.post("/probe/echo", json={"price": 1}), 422, "validation_failed")
    assert body["errors"] == [{"field": "name", "message": "Object missing required field `name`"}]


async def test_unknown_field_is_rejected(probe_client: Client) -> None:
    body = assert_problem(
        await probe_client.post("/probe/echo", json={"name": "a", "price": 1, "partner_id": "x"}),
        422,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "partner_id"


async def test_body_over_64_kib_is_413(probe_client: Client) -> None:
    oversized = b'{"name": "' + b"x" * MAX_BODY_BYTES + b'", "price": 1}'
    response = await probe_client.post("/probe/echo", content=oversized, headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload_too_large")


async def test_unexpected_error_is_500_without_internals(
    probe_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.http.errors"):
        response = await probe_client.post("/probe/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "SELECT" not in response.text
    assert "RuntimeError" not in response.text
    assert set(body) == {"type", "title", "status", "code", "detail"}
    assert any(record.exc_info for record in caplog.records), "the traceback is logged"


async def test_request_id_is_generated_or_echoed(client: Client) -> None:
    generated = (await client.get("/health/live")).headers["x-request-id"]
    assert len(generated) >= 16
    echoed = await client.get("/health/live", headers={"X-Request-Id": "partner-req-42"})
    assert echoed.headers["x-request-id"] == "partner-req-42"
    on_error = await client.get("/nope", headers={"X-Request-Id": "partner-req-43"})
    assert on_error.headers["x-request-id"] == "partner-req-43"
    garbage = await client.get("/health/live", headers={"X-Request-Id": "has space"})
    assert garbage.headers["x-request-id"] != "has space"


async def test_one_structured_log_line_per_request(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="api.request"):
        await client.get("/health/live", headers={"X-Request-Id": "log-me"})
    lines = [r for r in caplog.records if r.name == "api.request"]
    assert len(lines) == 1
    fields = lines[0].fields  # type: ignore[attr-defined]
    assert fields["method"] == "GET"
    assert fields["route"] == "/health/live"
    assert fields["status"] == 200
    assert fields["request_id"] == "log-me"
    assert isinstance(fields["duration_ms"], float)


async def test_docs_render_from_local_assets(client: Client) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert "unpkg" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = await client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 1000


async def test_openapi_json_is_served(client: Client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    assert "/health/ready" in spec["paths"]


async def test_options_and_405_allow_exactly_the_documented_methods(app: Litestar, client: Client) -> None:
    """Every path of the spec: `Allow` names its documented methods (and OPTIONS), on OPTIONS as on a 405."""
    documented = {"get", "put", "post", "delete", "patch"}
    for template, item in (app.openapi_schema.paths or {}).items():
        methods = {method.upper() for method in documented if getattr(item, method, None) is not None}
        path = re.sub(r"\{[^}]+\}", "1", template)  # "1" routes as a text id and as a number
        answer = await client.options(path)
        assert answer.status_code == 204, template
        assert set(answer.headers["allow"].split(", ")) == methods | {"OPTIONS"}, template
        other = sorted(documented - {m.lower() for m in methods})
        if other:
            refused = await client.request(other[0].upper(), path)
            assert refused.status_code == 405, template
            assert set(refused.headers["allow"].split(", ")) == methods | {"OPTIONS"}, template
