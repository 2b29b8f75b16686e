"""The portal's own defences, in headless Chromium: CSRF, idle expiry of stolen cookies, lock-out, role pages."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
from playwright.async_api import Page, expect

from api.settings import Settings
from portal.app import create_portal
from portal.settings import PortalSettings
from tests.auth import StaffLoginDetails, totp_code
from tests.live_server import free_port, serving_asgi
from tests.portal_support import ApiCaller, new_staff, onboard, sold_voucher, submitted_course

SESSION_COOKIE = "portal_session"


async def log_in(page: Page, portal_url: str, staff: StaffLoginDetails, password: str | None = None) -> None:
    await page.goto(f"{portal_url}/login")
    await page.get_by_label("Surel").fill(staff.email)
    await page.get_by_label("Kata sandi").fill(staff.password if password is None else password)
    await page.get_by_label("Kode sekali pakai").fill(totp_code(staff.totp_secret))
    await page.get_by_role("button", name="Masuk").click()


async def test_a_form_post_without_the_csrf_token_is_refused(
    page: Page, portal_url: str, programme_api: ApiCaller, settings: Settings
) -> None:
    partner = onboard(programme_api, "Mitra CSRF")
    course = submitted_course(partner, "Kursus CSRF")
    assert programme_api.call("POST", f"/v1/programme/courses/{course}/approve").status_code == 200
    person, _ = sold_voucher(programme_api, course)
    support = await new_staff(settings, "support")
    await log_in(page, portal_url, support)
    await page.wait_for_url(f"{portal_url}/")
    refused = await page.request.post(f"{portal_url}/participants/{person['id']}/freeze", form={"reason": "forged"})
    assert refused.status == 403
    status = programme_api.call("GET", f"/v1/programme/participants/{person['id']}").json()["status"]
    assert status == "active"


async def test_a_stolen_session_cookie_stops_working_when_idle_and_at_logout(
    page: Page, portal_url: str, settings: Settings, db_url: str
) -> None:
    curator = await new_staff(settings, "curator")
    await log_in(page, portal_url, curator)
    await page.wait_for_url(f"{portal_url}/")
    cookies = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert len(cookies) == 1
    assert cookies[0]["httpOnly"]
    assert cookies[0]["secure"]
    assert cookies[0]["sameSite"] == "Strict"
    browser = page.context.browser
    assert browser is not None
    thief = await browser.new_context()
    try:
        await thief.add_cookies([{**cookies[0]}])  # type: ignore[list-item]
        stolen = await thief.new_page()
        await stolen.goto(f"{portal_url}/")
        await expect(stolen.get_by_test_id("who")).to_contain_text(curator.email)
        # The owner walks away: the session idles past the timeout (moved back in the portal's own table).
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute("UPDATE portal_sessions SET last_seen_at = now() - interval '16 minutes'")
        finally:
            await conn.close()
        await stolen.goto(f"{portal_url}/")
        assert stolen.url.startswith(f"{portal_url}/login")
        await page.goto(f"{portal_url}/")
        assert page.url.startswith(f"{portal_url}/login")
    finally:
        await thief.close()


async def test_logout_ends_the_session_everywhere(page: Page, portal_url: str, settings: Settings) -> None:
    finance = await new_staff(settings, "finance")
    await log_in(page, portal_url, finance)
    await page.wait_for_url(f"{portal_url}/")
    cookie = next(c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    await page.get_by_role("button", name="Keluar").click()
    await page.wait_for_url(f"{portal_url}/login")
    browser = page.context.browser
    assert browser is not None
    thief = await browser.new_context()
    try:
        await thief.add_cookies([{**cookie}])  # type: ignore[list-item]
        stolen = await thief.new_page()
        await stolen.goto(f"{portal_url}/finance")
        assert stolen.url.startswith(f"{portal_url}/login")
    finally:
        await thief.close()


async def test_five_wrong_passwords_lock_the_account(page: Page, portal_url: str, settings: Settings) -> None:
    support = await new_staff(settings, "support")
    for _ in range(5):
        await log_in(page, portal_url, support, password="salah sekali kata sandinya")
        await expect(page.get_by_role("alert")).to_contain_text("tidak benar")
    await log_in(page, portal_url, support)
    await expect(page.get_by_role("alert")).to_contain_text("dikunci")
    assert page.url == f"{portal_url}/login"


async def test_a_curator_cannot_reach_finance_pages(page: Page, portal_url: str, settings: Settings) -> None:
    curator = await new_staff(settings, "curator")
    await log_in(page, portal_url, curator)
    await page.wait_for_url(f"{portal_url}/")
    assert await page.get_by_role("link", name="Keuangan").count() == 0
    response = await page.goto(f"{portal_url}/finance")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("Peran Anda tidak mengizinkan")


async def test_an_unreachable_api_is_a_clear_502_page(page: Page, portal_settings: PortalSettings) -> None:
    nowhere = replace(portal_settings, api_url=f"http://127.0.0.1:{free_port()}")
    with serving_asgi(create_portal(nowhere)) as url:
        await page.goto(f"{url}/login")
        await page.get_by_label("Surel").fill("ani@kemnaker.example")
        await page.get_by_label("Kata sandi").fill("whatever it is")
        await page.get_by_label("Kode sekali pakai").fill("123456")
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.get_by_role("alert")).to_contain_text("API tidak dapat dihubungi")
