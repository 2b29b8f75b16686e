"""Helpers for the portal tests: a real API and a real portal on sockets, driven over HTTP or in Chromium."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page

from api.jobs.bootstrap import create_programme_client
from api.settings import Settings
from domain.clients import PARTNER_SCOPES
from tests.auth import StaffLoginDetails, create_staff, totp_code
from tests.factories import course_body, participant_body

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
AXE = REPO_ROOT / "tests" / "portal" / "vendor" / "axe-4.14.1.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package; .ci/run installs it
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class ApiCaller:
    """A client of the live API with a token (the programme's or a partner's)."""

    url: str
    client_id: str
    client_secret: str
    partner_id: str | None = None

    def token(self) -> str:
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def token_status(self) -> int:
        """The status /oauth/token answers this client with (200 while it may have tokens)."""
        response = httpx.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        return response.status_code

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token()}", **(headers or {})},
            timeout=15,
        )


async def new_programme_client(settings: Settings, api_url: str) -> ApiCaller:
    issued = await create_programme_client(settings, "Portal", None)
    return ApiCaller(api_url, issued.client_id, issued.client_secret)


async def new_staff(settings: Settings, role: str) -> StaffLoginDetails:
    return await create_staff(settings, role)


def onboard(programme: ApiCaller, name: str) -> ApiCaller:
    partner = programme.call(
        "POST", "/v1/programme/partners", {"name": name, "kind": "platform", "contact_email": "ops@example.com"}
    )
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    client = programme.call(
        "POST",
        f"/v1/programme/partners/{partner_id}/clients",
        {"name": f"{name} integration", "environment": "sandbox", "scopes": list(PARTNER_SCOPES)},
    )
    assert client.status_code == 201, client.text
    return ApiCaller(programme.url, client.json()["client_id"], client.json()["client_secret"], partner_id)


def submitted_course(partner: ApiCaller, title: str) -> str:
    created = partner.call("POST", "/v1/courses", course_body(title=title))
    assert created.status_code == 201, created.text
    course_id = str(created.json()["id"])
    assert partner.call("POST", f"/v1/courses/{course_id}/submit").status_code == 200
    return course_id


def sold_voucher(programme: ApiCaller, course_id: str) -> tuple[dict[str, Any], str]:
    """A new participant who bought `course_id`: the participant and the voucher code."""
    person = programme.call("POST", "/v1/programme/participants", participant_body(name="Budi Santoso"))
    assert person.status_code == 201, person.text
    bought = programme.call(
        "POST",
        f"/v1/programme/participants/{person.json()['id']}/purchases",
        {"course_id": course_id},
        headers={"Idempotency-Key": secrets.token_hex(12)},
    )
    assert bought.status_code == 201, bought.text
    return person.json(), str(bought.json()["code"])


def login_form(staff: StaffLoginDetails, steps_ahead: int = 0, password: str | None = None) -> dict[str, str]:
    return {
        "email": staff.email,
        "password": staff.password if password is None else password,
        "otp": totp_code(staff.totp_secret, steps_ahead),
    }


async def log_in(page: Page, portal_url: str, staff: StaffLoginDetails, steps_ahead: int = 0) -> None:
    """Log in through the portal's form (password and TOTP code) and land on the dashboard."""
    await page.goto(f"{portal_url}/login")
    await page.get_by_label("Surel").fill(staff.email)
    await page.get_by_label("Kata sandi").fill(staff.password)
    await page.get_by_label("Kode sekali pakai").fill(totp_code(staff.totp_secret, steps_ahead))
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(f"{portal_url}/")


async def check_page(page: Page, name: str) -> None:
    """Keep a screenshot and require no serious or critical axe-core violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate("async () => await axe.run(document)")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
