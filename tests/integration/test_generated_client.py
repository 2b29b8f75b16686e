"""A client generated from the committed spec (openapi-python-client) runs the README walkthrough.

What a partner developer does on day one: generate a typed client from `openapi/openapi.json`, get a token with
it and walk from a course to a verified certificate against a real sandbox server. If the spec lies about a
shape (a response the generated model cannot parse, a required field the server leaves out, a form the token
endpoint refuses), this fails.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from api.jobs.bootstrap import demo_partner_credentials
from api.settings import Settings
from tests.conftest import settings_for
from tests.database import REPO_ROOT

pytestmark = pytest.mark.slow
PACKAGE = "prakerja_generated_client"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return replace(settings_for(db_url), app_env="sandbox")


def generate(into: Path) -> ModuleType:
    """Run openapi-python-client on the committed spec into `into`, and import the package it wrote."""
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(  # noqa: S603
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(REPO_ROOT / "openapi" / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


def module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def unload(package: ModuleType) -> None:
    for name in [name for name in sys.modules if name == package.__name__ or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


async def test_a_generated_client_types_the_token_and_runs_the_walkthrough(
    settings: Settings, live_url: str, tmp_path: Path
) -> None:
    demo = await demo_partner_credentials(settings)
    package = generate(tmp_path)
    try:
        walk(package, live_url, demo.client_id, demo.client_secret)
    finally:
        unload(package)


def walk(package: ModuleType, base_url: str, client_id: str, client_secret: str) -> None:
    models = module(package, "models")
    api = f"{package.__name__}.api"

    def call(operation: str) -> Any:
        return importlib.import_module(f"{api}.{operation}")

    # 1. A token, typed: the response model has the RFC 6749 fields.
    public = package.Client(base_url=base_url, raise_on_unexpected_status=True)
    grant = models.TokenFormGrantType("client_credentials")  # the spec enumerates the grant types
    form = models.TokenForm(grant_type=grant, client_id=client_id, client_secret=client_secret)
    token = call("o_auth.issue_token").sync(client=public, body=form)
    assert isinstance(token, models.AccessTokenResponse), token
    assert token.token_type == "Bearer"
    assert isinstance(token.expires_in, int)
    assert 0 < token.expires_in <= 900
    assert "vouchers:redeem" in token.scope.split()
    partner = package.AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)
    me = call("partner_me.get_me").sync(client=partner)
    assert me.client_id == client_id

    # 2. A self-paced course, typed with its format enum, approved at once in the sandbox, in the course list.
    assert issubclass(models.CourseCreateFormat, Enum)
    course = call("partner_courses.create_course").sync(
        client=partner,
        body=models.CourseCreate(
            title="Dasar Digital Marketing",
            description="Strategi media sosial, iklan berbayar dan analitik untuk usaha kecil.",
            category="marketing",
            format_=models.CourseCreateFormat("self_paced"),
            hours=15,
            price=1_500_000,
            public_price=2_000_000,
            competencies=["media sosial", "iklan digital"],
            language="id",
            modules=5,
        ),
    )
    assert isinstance(course, models.CourseDetail), course
    approved = call("sandbox.self_approve_course").sync(course.id, client=partner)
    assert isinstance(approved.status, Enum), approved.status  # the spec's enum, typed
    assert approved.status == "approved"
    listed = call("partner_courses.list_courses").sync(client=partner, limit=100)
    assert course.id in [item.id for item in listed.items]

    # 3. A test participant and a voucher for the course; check it, then redeem it exactly once.
    participant = call("sandbox.create_test_participant").sync(
        client=partner, body=models.TestParticipantCreate(scheme="2024")
    )
    voucher = call("sandbox.create_test_voucher").sync(
        client=partner, body=models.TestVoucherCreate(course_id=course.id, participant_id=participant.id)
    )
    assert voucher.code.startswith("SBX-")
    checked = call("partner_vouchers.get_voucher").sync(voucher.code, client=partner)
    assert isinstance(checked.status, Enum), checked.status  # the spec's enum, typed
    assert checked.status == "sold"
    enrollment = call("partner_vouchers.redeem_voucher").sync(
        voucher.code,
        client=partner,
        body=models.Redeem(learner_ref="lms-user-42"),
        idempotency_key=f"redeem-{voucher.code}",
    )
    assert isinstance(enrollment, models.Enrollment), enrollment

    # 4. Progress at the sandbox clock's now: five modules and the assessment.
    now = call("sandbox.get_test_clock").sync(client=partner).now
    assert isinstance(now, datetime)
    assert now.tzinfo is not None
    for sequence in range(1, 6):
        call("partner_enrollments.record_attendance").sync(
            enrollment.id, sequence, client=partner, body=models.AttendanceReport(attended_at=now)
        )
    assessed = call("partner_enrollments.record_assessment").sync(
        enrollment.id, client=partner, body=models.AssessmentReport(score=88, assessed_at=now)
    )
    assert isinstance(assessed, models.Enrollment), assessed

    # 5. Five days pass on the test clock; complete, certify and verify publicly (no token).
    later = call("sandbox.advance_test_clock").sync(client=partner, body=models.ClockAdvance(seconds=5 * 24 * 3600))
    completed = call("partner_enrollments.complete_enrollment").sync(
        enrollment.id,
        client=partner,
        body=models.CompletionReport(completed_at=later.now),
        idempotency_key=f"complete-{enrollment.id}",
    )
    assert isinstance(completed.status, Enum), completed.status  # the spec's enum, typed
    assert completed.status == "completed", completed
    certificate = call("partner_certificates.issue_certificate").sync(
        enrollment.id,
        client=partner,
        body=models.CertificateIssue(number=f"CERT-{voucher.code}", issued_at=later.now),
        idempotency_key=f"certify-{enrollment.id}",
    )
    assert isinstance(certificate, models.CertificateOut), certificate
    verification = call("public_certificate_verification.verify_certificate").sync(certificate.id, client=public)
    assert isinstance(verification.status, Enum), verification.status  # the spec's enum, typed
    assert verification.status == "valid"
    assert verification.course_title == "Dasar Digital Marketing"
