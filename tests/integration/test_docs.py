"""The docs teach: every operation explains itself, names its scopes and lists the problems it can answer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from api.__main__ import openapi_document

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
    """Screenshots of /docs (the overview and the redeem operation, expanded) under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The deep link opens the redeem operation and scrolls to it; a tall window keeps it in the frame.
    shots = {
        "docs.png": (f"{live_url}/docs", 1400),
        "docs-redeem.png": (f"{live_url}/docs#/vouchers/redeemVoucher", 6000),
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
